"""What the question-answering layer (service/qa) reads from an index, whatever the engine behind it.

The embedded index (`SearchIndex`, and `LayeredIndex` while writes are live) and the sharded one
(`ShardedIndex`, Xapian shards) implement it; another engine (docs/SCALING.md: OpenSearch) would too.
"""

from __future__ import annotations

from typing import Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from index.documents import Document, Paragraph
from index.lexical.engines import Hit


@runtime_checkable
class Searchable(Protocol):
    manifest: dict          # "built_at" and "settings" (engine, bm25, analysis)
    num_paragraphs: int
    documents: list         # DocumentInfo of every document, in corpus order

    def search_terms(self, weighted: Mapping[str, float], k: int = 5, phrase: Sequence[str] = (),
                     only: frozenset[str] | None = None, vector: np.ndarray | None = None) -> list[Hit]:
        """The k best paragraphs for analysed terms with weights, first stage then docqa's re-rank."""

    def idf(self, terms: list[str]) -> np.ndarray:
        """Lucene idf of analysed terms over the whole collection (0 for unknown terms)."""

    def info(self, document_id: str):
        """A document's DocumentInfo; DocumentNotFoundError if there is none."""

    def document(self, document_id: str) -> Document:
        """A document with its text."""

    def document_paragraphs(self, document_id: str) -> list[Paragraph]:
        """A document's paragraphs, with exact offsets."""
