"""The index directory on disk, named once for the writer (`index.store`) and the reader (`index.search`).

    <index_dir>/CURRENT      the live generation's name, replaced atomically
    <index_dir>/gen-<stamp>/ one complete generation: the files below, then MANIFEST (written last,
                             with each file's size and sha256); files are read-only
    <index_dir>/overlay-<pid>/ a running server's index of the documents written since its generation
"""

from index.lexical.bm25 import FIELDS

FORMAT_VERSION = 4
CURRENT = "CURRENT"
LOCK = ".lock"
GENERATION_PREFIX = "gen-"
TEMPORARY_PREFIX = ".tmp-gen-"
OVERLAY_PREFIX = "overlay-"          # <index_dir>/overlay-<server pid>/: a running server's recent writes

MANIFEST = "manifest.json"
TEXT = "text.bin"                    # every document's text, UTF-8, back to back
PARAGRAPHS = "paragraphs.npy"        # one row per paragraph, PARAGRAPH_COLUMNS int64 columns
HEADINGS = "headings.json"           # the distinct headings, numbered by the HEADING column
VOCABULARY = "vocab.json"            # term id -> analysed term
TOKENS = "tokens.npy"                # every paragraph's term ids, back to back
TOKEN_OFFSETS = "token_offsets.npy"  # paragraph i's terms are TOKENS[offsets[i]:offsets[i + 1]]
TOKEN_SPANS = "token_spans.npy"      # each term's (start, end) in its paragraph's text, int32; (-1, -1) in the heading
TITLE_TOKENS = "title_tokens.npy"    # every document's title term ids, back to back
TITLE_OFFSETS = "title_offsets.npy"
PHRASE_TABLE = "phrase_table.npy"    # sorted 64-bit keys of adjacent term pairs (index/lexical/fields.py)
BASE_FILES = (TEXT, PARAGRAPHS, HEADINGS, VOCABULARY, TOKENS, TOKEN_OFFSETS, TOKEN_SPANS, TITLE_TOKENS, TITLE_OFFSETS,
              PHRASE_TABLE)
FIELD_PREFIXES = dict(zip(FIELDS, ("", "phrase_", "title_")))  # each BM25 field's engine files (index/lexical/bm25.py)

# PARAGRAPHS columns
DOC, NUMBER, START, END, BYTE_START, BYTE_END, HEADING = range(7)
PARAGRAPH_COLUMNS = 7
