"""Text out of PDF and Word (.docx) files: paragraphs with blank lines between them, and where each
page starts, so every paragraph knows its page.

PDF goes through pdfminer.six's layout analysis (text boxes rebuilt from line spacing, columns read
in order); pypdf's plain extraction gives lines only, without paragraph breaks (docs/ARCHITECTURE.md).
Lines of a box are joined with spaces, a word hyphenated at a line end is joined, lines repeated at
the top or bottom of most pages (running headers, footers) and bare page numbers are dropped, and a
paragraph that runs over a page break is kept whole. Word goes through python-docx: paragraphs,
headings (a blank line after them, so they label what follows), and tables as one line per row.

Parsing runs in a child process with a memory and a time limit (`extract`), so a hostile or huge
file costs one refusal, never the server. The child is forked from a small fork server that only
loaded the parsers (index/documents/parse_server.py), never from the server itself: what the memory limit
leaves for parsing is the same in a server that just started and in one that has grown for days, and
the same for an upload and for every later rebuild of it.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from collections import Counter, OrderedDict
from dataclasses import dataclass

from index.documents import parse_server
from index.errors import UnreadableDocumentError
from index.documents.limits import DocumentLimits

BINARY_SUFFIXES = (".pdf", ".docx")
CONTENT_TYPES = {".pdf": "application/pdf",
                 ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
MAX_UNZIPPED_BYTES = 200 << 20   # a .docx whose parts inflate to more is refused (zip bomb)
MAX_ZIP_RATIO = 200              # nor one part compressed more than this
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?\s*$", re.I)
_BULLETS = "•◦▪‣–-*·"
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    pages: tuple[int, ...] = ()  # offset in `text` where each page starts (pages[0] == 0); () for no pages


class ParsedFiles:
    """What PDF and Word files gave when parsed, by the sha256 of their bytes (thread-safe, the most
    recent kept within `max_chars` of text): a server parses an upload once, and its overlay and its
    rebuilds read the text from here instead of parsing the file again."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Extracted] = OrderedDict()
        self._chars = 0

    def get(self, sha256: str) -> Extracted | None:
        with self._lock:
            found = self._items.get(sha256)
            if found is not None:
                self._items.move_to_end(sha256)
            return found

    def put(self, sha256: str, extracted: Extracted) -> None:
        with self._lock:
            if sha256 in self._items:
                return
            self._items[sha256] = extracted
            self._chars += len(extracted.text)
            while self._chars > self.max_chars and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._chars -= len(dropped.text)

    def discard(self, sha256s) -> None:
        with self._lock:
            for sha256 in sha256s:
                dropped = self._items.pop(sha256, None)
                if dropped is not None:
                    self._chars -= len(dropped.text)


def extract(name: str, data: bytes, limits: DocumentLimits = DocumentLimits()) -> Extracted:
    """The text of a .pdf or .docx file, parsed in a child process with bounded time and memory
    (index/documents/parse_server.py); UnreadableDocumentError saying why when it cannot be read,
    DocumentTooLargeError when its text is over `limits.max_chars`."""
    suffix = "." + name.rsplit(".", 1)[-1].lower()
    header = {"suffix": suffix, "seconds": limits.parse_seconds, "memory_bytes": limits.parse_memory_bytes,
              "max_chars": limits.max_chars}
    try:
        answer, text = parse_server.ask(header, data, limits.parse_seconds)
    except parse_server.TimedOut:
        raise UnreadableDocumentError(f"{name}: parsing took longer than {limits.parse_seconds:g} s; not indexed") from None
    except parse_server.ChildGone:  # killed: out of memory, out of time, or worse
        raise UnreadableDocumentError(f"{name}: the file could not be parsed within the memory limit") from None
    if answer["kind"] == "too large":
        limits.check_chars(name, answer["chars"])
    if answer["kind"] != "ok":
        raise UnreadableDocumentError(f"{name}: {answer['detail']}")
    return Extracted(text.decode("utf-8", "surrogatepass"), answer["title"], tuple(answer["pages"]))


def parse_request(header: dict, data: bytes) -> tuple[dict, bytes]:
    """In a parsing child: the answer to `extract`'s request, the text as UTF-8 bytes beside it (a text
    over the limit is never sent back whole)."""
    try:
        extracted = read_pdf(data) if header["suffix"] == ".pdf" else read_docx(data)
    except UnreadableDocumentError as exc:
        return {"kind": "error", "detail": exc.detail}, b""
    except MemoryError:
        return {"kind": "error", "detail": "the file could not be parsed within the memory limit"}, b""
    except Exception as exc:  # a damaged file makes the parsers raise anything
        return {"kind": "error", "detail": f"damaged or truncated file ({type(exc).__name__})"}, b""
    if len(extracted.text) > header["max_chars"]:
        return {"kind": "too large", "chars": len(extracted.text)}, b""
    return ({"kind": "ok", "title": extracted.title, "pages": list(extracted.pages)},
            extracted.text.encode("utf-8", "surrogatepass"))


def read_pdf(data: bytes) -> Extracted:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser

    if b"%%EOF" not in data[-2048:]:
        raise UnreadableDocumentError("truncated PDF (no end-of-file marker)")
    try:
        info = PDFDocument(PDFParser(io.BytesIO(data))).info
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise UnreadableDocumentError("password-protected PDF: not supported") from None
    pages = []
    for page in extract_pages(io.BytesIO(data), laparams=LAParams()):
        boxes = [(box.y1, box.x0, box.get_text()) for box in page if isinstance(box, LTTextContainer)]
        pages.append([_reflow(t) for _, _, t in boxes if t.strip()])
    if not any(pages):
        raise UnreadableDocumentError("no text layer (scanned?); only PDFs with text are indexed")
    pages = _drop_running_lines(pages)
    title = _metadata_title(info)
    return _join_pages(pages, title)


def _metadata_title(info: list) -> str | None:
    for entry in info:
        value = entry.get("Title")
        if hasattr(value, "resolve"):
            value = value.resolve()
        if isinstance(value, bytes):
            value = value.decode("utf-16") if value.startswith(b"\xfe\xff") else value.decode("latin-1")
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _reflow(text: str) -> str:
    """A text box's lines as one line: a word hyphenated at a line end joined ("man-\\nagement")."""
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()]
    out = ""
    for line in lines:
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out = out[:-1] + line
        elif out:
            out += ("\n" if line[0] in _BULLETS else " ") + line  # a list keeps one item per line
        else:
            out = line
    return out


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Without bare page numbers, and without boxes at a page's top or bottom that recur (digits
    ignored) on at least half of the pages: running headers and footers."""
    def key(box: str) -> str:
        return re.sub(r"\d+", "#", box.lower())

    edges = Counter(key(b) for boxes in pages for b in {*boxes[:2], *boxes[-2:]})
    running = {k for k, n in edges.items() if len(pages) >= 3 and n >= max(2, len(pages) / 2)}
    return [[b for i, b in enumerate(boxes) if not _PAGE_NUMBER.match(b)
             and not ((i < 2 or i >= len(boxes) - 2) and key(b) in running)] for boxes in pages]


def _join_pages(pages: list[list[str]], title: str | None) -> Extracted:
    """Paragraphs joined by blank lines; a paragraph that runs on over a page break is joined with a space."""
    text, starts = "", []
    for boxes in pages:
        starts.append(len(text))
        for i, box in enumerate(boxes):
            runs_on = i == 0 and text and not _SENTENCE_END.search(text) and box[:1].islower()
            text += (" " if runs_on else ("\n\n" if text else "")) + box
    if title is None:
        first = next((b for boxes in pages for b in boxes), "")
        title = first if 0 < len(first) <= 120 and len(first.split()) <= 14 else None
    return Extracted(text, title, tuple(starts))


def read_docx(data: bytes) -> Extracted:
    _check_zip(data)
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    document = docx.Document(io.BytesIO(data))
    # style names looked up once: python-docx's paragraph.style searches the styles part on every call
    # (30,000 paragraphs took 30 s of it)
    names = {s.style_id: s.name or "" for s in document.styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default.name or "") if default is not None else ""
    blocks = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = " ".join(DocxParagraph(element, document).text.split())
            if text:
                style = names.get(element.style, default_name) if element.style else default_name
                blocks.append(("heading" if style.startswith(("Heading", "Title")) else "body", text))
        elif tag == "tbl":
            rows = [" | ".join(" ".join(c.text.split()) for c in row.cells) for row in Table(element, document).rows]
            blocks.append(("table", "\n".join(r for r in rows if r.strip(" |"))))
    text = "\n\n".join(t for _, t in blocks if t)
    if not text.strip():
        raise UnreadableDocumentError("the Word document has no text")
    title = (document.core_properties.title or "").strip() or next((t for k, t in blocks if k == "heading"), None)
    return Extracted(text, title)


def _check_zip(data: bytes) -> None:
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        raise UnreadableDocumentError("not a Word .docx file (damaged or truncated zip)") from None
    if sum(p.file_size for p in parts) > MAX_UNZIPPED_BYTES or any(
            p.file_size > MAX_ZIP_RATIO * max(p.compress_size, 1) for p in parts):
        raise UnreadableDocumentError("the .docx inflates far beyond its size (a zip bomb?); not indexed")
    if "word/document.xml" not in {p.filename for p in parts}:
        raise UnreadableDocumentError("not a Word .docx file (no word/document.xml)")
