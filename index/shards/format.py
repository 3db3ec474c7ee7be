"""What a Xapian shard holds, named once for the writer (index/shards/build.py) and the reader (index/shards/sharded.py).

One Xapian document per paragraph, no positions. Its terms, each with an integer *impact* as its wdf:
    B<term>         a body term (heading + text, docqa's analysis)
    P<term> <term>  a phrase: two adjacent body terms
    T<term>         a term of the document's title
    D<document id>  boolean (wdf 0): which document the paragraph belongs to
A term's impact is its BM25 term-frequency part, tf / (tf + k1 x (1 - b + b x |field| / avg |field|)),
times IMPACT_SCALE and rounded: each field normalised by its own length, which Xapian's one document
length cannot do. Searches weight each term with TfIdfWeight("nnn") (the wdf as it is) scaled by
query weight x Lucene idf / IMPACT_SCALE, the idf from document frequencies summed over the shards, so
a score is the embedded engine's Lucene BM25 (index/lexical/engines.py) to within 1e-6 per term.
Data: the paragraph as JSON (document id, number, offsets, heading, text, its terms and the previous
paragraph's, the title's), so a serving node needs no copy of the corpus. Value VECTOR_SLOT: the
paragraph's embedding (index/semantic) as int8 components (the unit vector scaled so its largest
component is 127; 384 bytes), absent until it is embedded; it comes back with the paragraph's data in
the same round trip. Metadata: STATS_KEY (format, analysis, BM25 parameters, average field lengths),
VECTORS_KEY (the model the vectors are from), VECTORS_DONE_KEY (changed by each commit of new vectors),
per document its entry and its text, and a version.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from index.documents import Paragraph
from index.lexical.bm25 import saturation
from index.semantic.model import DIMENSIONS

ENGINE_NAME = "xapian"          # DOCQA_ENGINE / --engine for the sharded engine
SHARD_FORMAT = 1
IMPACT_SCALE = 2 ** 20          # a paragraph of 1,000 distinct terms in three fields stays under 2^32
STATS_KEY = "docqa:stats"
DOCUMENT_KEY = "docqa:doc:"     # + document id: its entry (title, file, sha256, paragraphs, pages)
TEXT_KEY = "docqa:text:"        # + document id: its text
VERSION_KEY = "docqa:version"   # changes with every write, so servers know to re-read the document list
VECTORS_KEY = "docqa:vectors"   # the embedding model's name (index.semantic.MODEL_NAME) of the vectors held
VECTORS_DONE_KEY = "docqa:vectors:done"  # changes with every commit of new vectors (`docqa shard embed`)
VECTOR_SLOT = 0                 # the document value holding a paragraph's vector
SHARDS_FILE = "shards.json"     # in a build folder: the shard count and the statistics every shard holds
BODY, PHRASE, TITLE, DOCUMENT = "B", "P", "T", "D"
MAX_TERM_BYTES = 240            # Xapian's limit is 245; longer terms are replaced by a digest
NNN = "nnn"                     # TfIdfWeight normalisations: raw wdf, no idf, no length


def shard_name(number: int) -> str:
    return f"shard-{number:02d}"


def term(prefix: str, text: str) -> str:
    """The Xapian term for an analysed term (or phrase) in a field."""
    name = prefix + text
    if len(name.encode("utf-8")) > MAX_TERM_BYTES:
        return prefix + "#" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return name


def phrase(first: str, second: str) -> str:
    return term(PHRASE, f"{first} {second}")


def shard_of(document_id: str, shards: int) -> int:
    """The shard a document lives in: a stable hash of its id (the same on every machine and run)."""
    return int.from_bytes(hashlib.sha256(document_id.encode("utf-8")).digest()[:8], "big") % shards


def impact(tf: int, norm: float) -> int:
    """A term's BM25 term-frequency part as an integer wdf (at least 1: the term is there)."""
    return max(1, round(saturation(tf, norm) * IMPACT_SCALE))


def pack_vector(vector: np.ndarray) -> bytes:
    """A unit vector as int8 components, scaled so the largest magnitude is 127 (read back renormalised:
    cosines within about 0.003 of the float32 ones)."""
    scale = float(np.abs(vector).max()) or 1.0
    return np.clip(np.rint(vector * (127.0 / scale)), -127, 127).astype(np.int8).tobytes()


def unpack_vector(value: bytes, dimensions: int) -> np.ndarray | None:
    """The unit vector `pack_vector` stored, or None for an absent or malformed value."""
    if len(value) != dimensions:
        return None
    vector = np.frombuffer(value, dtype=np.int8).astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


def stored_paragraph(document) -> dict:
    """A shard document's stored paragraph data, with its vector decoded under "v" (None without one)."""
    data = json.loads(document.get_data())
    data["v"] = unpack_vector(document.get_value(VECTOR_SLOT), DIMENSIONS)
    return data


def paragraph_of(data: dict) -> Paragraph:
    return Paragraph(data["d"], data["n"], data["s"], data["e"], data["x"], data["h"])


def stacked_vectors(found: list[dict]) -> np.ndarray | None:
    """The stored paragraphs' unit vectors, one row each, or None when any of them has none."""
    if any(d["v"] is None for d in found):
        return None
    return np.stack([d["v"] for d in found]) if found else np.zeros((0, DIMENSIONS), np.float32)
