"""What one document may cost: its extracted text, its paragraphs, and the time its file may take to parse.

The same limits apply wherever a document is read (an upload, a server's rebuild, `docqa index`), so a
file accepted once is accepted by every later build: what is limited is what parsing produces and
allocates, never something that depends on the process doing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.errors import DocumentTooLargeError

MAX_DOCUMENT_CHARS = 5_000_000     # about 2,000 pages of a dense report; the King James Bible is 4.3 M
MAX_DOCUMENT_PARAGRAPHS = 20_000   # a long book has a few thousand
PARSE_SECONDS = 60.0               # a PDF or Word file whose parsing takes longer is refused
PARSE_MEMORY_BYTES = 2 << 30       # what the parser may allocate beyond the parsing process's own start


@dataclass(frozen=True)
class DocumentLimits:
    max_chars: int = MAX_DOCUMENT_CHARS
    max_paragraphs: int = MAX_DOCUMENT_PARAGRAPHS
    parse_seconds: float = PARSE_SECONDS
    parse_memory_bytes: int = PARSE_MEMORY_BYTES

    def check_chars(self, name: str, chars: int) -> None:
        """DocumentTooLargeError (413) naming the limit and its setting when `chars` is over it."""
        if chars > self.max_chars:
            raise DocumentTooLargeError(f"{name}: {chars:,} characters of text; the limit is {self.max_chars:,} "
                                        "per document (DOCQA_MAX_DOCUMENT_CHARS)")

    def check_paragraphs(self, name: str, paragraphs: int) -> None:
        if paragraphs > self.max_paragraphs:
            raise DocumentTooLargeError(f"{name}: {paragraphs:,} paragraphs; the limit is {self.max_paragraphs:,} "
                                        "per document (DOCQA_MAX_DOCUMENT_PARAGRAPHS)")
