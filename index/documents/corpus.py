"""Documents and their paragraphs: read a corpus folder, split text with exact character offsets."""

from __future__ import annotations

import bisect
import hashlib
import logging
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from index.documents.formats import BINARY_SUFFIXES, ParsedFiles, extract
from index.errors import CorpusError, DocumentTooLargeError, UnreadableDocumentError, UnsupportedMediaTypeError
from index.documents.html_text import VisibleText
from index.documents.limits import DocumentLimits
from index.analysis.sentences import sentence_spans

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".html", ".htm", *BINARY_SUFFIXES)
MAX_PARAGRAPH_WORDS = 250
MAX_PARAGRAPH_CHARS = 4000  # bounds a paragraph of very long "words" (no spaces) too
MAX_HEADING_WORDS = 14
_BLOCK = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_CLOSERS = "\"'”’»)]*_ \t"
DOCUMENT_ID_PATTERN = r"[a-z0-9][a-z0-9._-]{0,99}"  # what document_id_for makes; the API accepts only these
DOCUMENT_ID = re.compile(DOCUMENT_ID_PATTERN)
_ID_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    path: str
    text: str
    sha256: str
    pages: tuple[int, ...] = ()  # offset in `text` where each page starts (PDF); () when the file has no pages


@dataclass(frozen=True)
class Paragraph:
    document_id: str
    number: int
    start: int
    end: int
    text: str
    heading: str | None = None


def document_id_for(name: str) -> str:
    """URL-safe id from a file name: lower-case stem, accents dropped (Café -> cafe), other characters
    folded to '-'. A name with letters that have no Latin spelling (日本語, 😀) gets a short hash of
    the name too, so such names never share an id."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    latin = "".join(c for c in unicodedata.normalize("NFKD", stem) if not unicodedata.combining(c))
    slug = _ID_UNSAFE.sub("-", latin.lower()).lstrip("-._")[:100]
    if latin.isascii():
        return slug or "document"
    digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug[:89].rstrip('-._')}-{digest}" if slug.strip("-._") else f"doc-{digest}"


def humanize(doc_id: str) -> str:
    words = re.sub(r"[-_.]+", " ", doc_id).strip()
    return words[:1].upper() + words[1:] if words else doc_id


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (BOM optional) with CRLF/CR normalised to LF; binary or undecodable -> 415 error."""
    if b"\x00" in data[:8192]:
        raise UnsupportedMediaTypeError(f"{name} looks binary (NUL bytes); only UTF-8 text, Markdown, HTML, PDF "
                                        "and .docx are indexed")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedMediaTypeError(f"{name} is not valid UTF-8 (byte {exc.start}); save it as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_document(doc_id: str, name: str, data: bytes, path: str = "", title: str | None = None,
                   limits: DocumentLimits = DocumentLimits(), parsed: ParsedFiles | None = None) -> Document:
    """Turn one file's bytes into a Document; the title comes from the file unless given. Its text is
    held to `limits` (DocumentTooLargeError); a PDF or Word file already in `parsed` is not parsed again,
    and one parsed now is put there."""
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ".txt"
    sha = hashlib.sha256(data).hexdigest()
    if suffix in BINARY_SUFFIXES:
        extracted = parsed.get(sha) if parsed is not None else None
        if extracted is None:
            extracted = extract(name, data, limits)
            if parsed is not None:
                parsed.put(sha, extracted)
        limits.check_chars(name, len(extracted.text))
        return Document(id=doc_id, title=title or extracted.title or humanize(doc_id), path=path, text=extracted.text,
                        sha256=sha, pages=extracted.pages)
    raw = decode_text(data, name)
    found_title = None
    if suffix in (".html", ".htm"):
        parser = VisibleText()
        parser.feed(raw)
        parser.close()
        text = parser.text()
        found_title = " ".join("".join(parser.title).split()) or " ".join("".join(parser.h1).split()) or None
    elif suffix == ".md":
        text = raw
        front = _FRONT_MATTER.match(raw)
        if front:
            text = raw[front.end():]
            for line in front.group(1).splitlines():
                key, _, value = line.partition(":")
                if key.strip().lower() == "title" and value.strip():
                    found_title = value.strip().strip("\"'")
        first = text.lstrip("\n").split("\n", 1)[0]
        if found_title is None and first.startswith("# "):
            found_title = first[2:].strip()
    else:
        text = raw
        first, _, rest = text.lstrip("\n").partition("\n")
        if rest.startswith("\n") and _looks_like_heading(first) and not first.rstrip().endswith("?"):
            found_title = first.strip()
    limits.check_chars(name, len(text))
    return Document(id=doc_id, title=title or found_title or humanize(doc_id), path=path, text=text, sha256=sha)


def read_document(path: Path, limits: DocumentLimits = DocumentLimits(), parsed: ParsedFiles | None = None) -> Document:
    return parse_document(document_id_for(path.name), path.name, read_corpus_file(path), path=str(path),
                          limits=limits, parsed=parsed)


def read_corpus_file(path: Path) -> bytes:
    """The bytes of a regular file of the corpus folder, following a link only to a file inside that
    folder; the final open never follows a link and never blocks (a FIFO is refused, not waited on)."""
    problem = _unsafe(path, path.parent.resolve())
    if problem:
        raise CorpusError(f"{path.name} is {problem}")
    try:
        fd = os.open(path.resolve(), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise CorpusError(f"{path.name} is not a regular file")
            return f.read()
    except OSError as exc:
        raise CorpusError(f"cannot read {path.name}: {exc.strerror}") from None


def _unsafe(path: Path, root: Path) -> str | None:
    """Why `path` must not be read (a link leading out of `root`, not a regular file), or None."""
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            return "a link to a file outside the corpus folder"
        if not stat.S_ISREG(path.stat().st_mode):
            return "not a regular file"
    except (OSError, RuntimeError):  # a broken link or a link loop
        return "a broken link"
    return None


def corpus_files(folder: Path, warn: bool = False) -> list[Path]:
    """The indexable files directly in `folder`, in name order: hidden and temporary files, links that
    lead outside the folder, and anything but regular files are left out (`warn`: one log line each)."""
    if not folder.is_dir():
        raise CorpusError(f"corpus folder {folder} does not exist; create it or pass --corpus / DOCQA_CORPUS")
    root = folder.resolve()
    files = []
    for path in folder.iterdir():
        if path.suffix.lower() not in SUFFIXES or path.name.startswith((".", "~")):
            continue
        problem = _unsafe(path, root)
        if problem is None:
            files.append(path)
        elif warn and (path.is_symlink() or path.exists()):  # not one deleted since the folder was listed
            log.warning("skipped %s: %s", path.name, problem)
    return sorted(files)


def load_corpus(folder: Path) -> list[Document]:
    """Every readable document in `folder`; a file that cannot be read is skipped with one warning."""
    documents: dict[str, Document] = {}
    for path in corpus_files(folder, warn=True):
        try:
            doc = read_document(path)
        except (UnsupportedMediaTypeError, UnreadableDocumentError, DocumentTooLargeError, CorpusError) as exc:
            log.warning("skipped %s: %s", path.name, exc.detail)
            continue
        if doc.id in documents:
            log.warning("skipped %s: id %r is already used by %s", path.name, doc.id, documents[doc.id].path)
            continue
        documents[doc.id] = doc
    return list(documents.values())


def _looks_like_heading(line: str) -> bool:
    stripped = line.strip()
    if not stripped or "\n" in stripped or len(stripped) > 120:
        return False
    if stripped.startswith("#"):
        return True
    if stripped[0] in "\"“‘'-*>|":
        return False
    core = stripped.rstrip(_CLOSERS)
    return bool(core) and core[-1] not in ".!,;:" and len(stripped.split()) <= MAX_HEADING_WORDS


def pages_of(pages: tuple[int, ...], start: int, end: int) -> list[int]:
    """The page numbers (from 1) that text[start:end] lies on, given where each page starts; [] without pages."""
    if not pages:
        return []
    return list(range(bisect.bisect_right(pages, start), bisect.bisect_right(pages, max(start, end - 1)) + 1))


def split_paragraphs(document: Document) -> list[Paragraph]:
    """Paragraphs on blank lines; heading-like lines label the paragraphs after them; long ones split."""
    text = document.text
    blocks = [(m.start(), m.end()) for m in _BLOCK.finditer(text)]
    blocks = [_trim(text, s, e) for s, e in blocks]
    paragraphs: list[Paragraph] = []
    heading = None
    for i, (start, end) in enumerate(blocks):
        block = text[start:end]
        next_is_body = i + 1 < len(blocks) and not _looks_like_heading(text[blocks[i + 1][0]:blocks[i + 1][1]])
        if next_is_body and _looks_like_heading(block):
            heading = block.lstrip("#").strip()
            continue
        for s, e in _chunks(block, start):
            paragraphs.append(Paragraph(document.id, len(paragraphs) + 1, s, e, text[s:e], heading))
    return paragraphs


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _chunks(block: str, offset: int) -> list[tuple[int, int]]:
    """Split a block over MAX_PARAGRAPH_WORDS (or MAX_PARAGRAPH_CHARS) at sentence ends, and a sentence
    that is itself too long at word boundaries, so no paragraph is unbounded whatever the input.
    Offsets are document-relative."""
    if len(block) <= MAX_PARAGRAPH_CHARS and len(block.split()) <= MAX_PARAGRAPH_WORDS:
        return [(offset, offset + len(block))]
    pieces = [piece for s, e in sentence_spans(block) for piece in _word_pieces(block, s, e)]
    chunks: list[tuple[int, int]] = []
    chunk_start: int | None = None
    chunk_end = words = 0
    for s, e in pieces:
        n = len(block[s:e].split())
        if chunk_start is not None and (words + n > MAX_PARAGRAPH_WORDS or e - chunk_start > MAX_PARAGRAPH_CHARS):
            chunks.append((chunk_start, chunk_end))
            chunk_start, words = None, 0
        if chunk_start is None:
            chunk_start = s
        chunk_end, words = e, words + n
    if chunk_start is not None:
        chunks.append((chunk_start, chunk_end))
    return [(offset + s, offset + e) for s, e in chunks]


def _word_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """`text[start:end]` cut at whitespace into pieces within both limits; a run of more than
    MAX_PARAGRAPH_CHARS without whitespace is cut where the limit falls."""
    if end - start <= MAX_PARAGRAPH_CHARS and len(text[start:end].split()) <= MAX_PARAGRAPH_WORDS:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    piece_start: int | None = None
    piece_end = words = 0
    for m in _WORD.finditer(text, start, end):
        for s in range(m.start(), m.end(), MAX_PARAGRAPH_CHARS):
            e = min(s + MAX_PARAGRAPH_CHARS, m.end())
            if piece_start is not None and (words == MAX_PARAGRAPH_WORDS or e - piece_start > MAX_PARAGRAPH_CHARS):
                pieces.append((piece_start, piece_end))
                piece_start, words = None, 0
            if piece_start is None:
                piece_start = s
            piece_end, words = e, words + 1
    if piece_start is not None:
        pieces.append((piece_start, piece_end))
    return pieces
