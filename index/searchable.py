"""What the question-answering layer (service/qa) and the web layer read from an index, whatever the engine.

The embedded index (`SearchIndex`, and `LayeredIndex` while writes are live) and the sharded one
(`ShardedIndex`, Xapian shards) implement it; another engine (docs/SCALING.md: OpenSearch) would too.
Callers never probe an engine with hasattr/getattr: what differs between engines is asked here.
"""

from __future__ import annotations

from typing import Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from index.documents import Document, Paragraph
from index.hits import Hit
from index.lexical.search import DEFAULT_K


@runtime_checkable
class Searchable(Protocol):
    @property
    def manifest(self) -> dict: ...
    # "built_at" and "settings" (engine, bm25, analysis)

    @property
    def num_paragraphs(self) -> int: ...

    @property
    def num_documents(self) -> int: ...

    @property
    def documents(self) -> list: ...
    # DocumentInfo of every document, in corpus order

    def search_terms(self, weighted: Mapping[str, float], k: int = DEFAULT_K, phrase: Sequence[str] = (), *,
                     only: frozenset[str] | None = None, vector: np.ndarray | None = None) -> list[Hit]:
        """The k best paragraphs for analysed terms with weights, first stage then docqa's re-rank
        (`only` and `vector` by name: SearchIndex takes `exclude` before them)."""

    def idf(self, terms: list[str]) -> np.ndarray:
        """Lucene idf of analysed terms over the whole collection (0 for unknown terms)."""

    def info(self, document_id: str):
        """A document's DocumentInfo; DocumentNotFoundError if there is none."""

    def document(self, document_id: str) -> Document:
        """A document with its text."""

    def document_paragraphs(self, document_id: str) -> list[Paragraph]:
        """A document's paragraphs, with exact offsets."""

    def document_paragraph(self, document_id: str, number: int) -> Paragraph:
        """A document's paragraph `number` (from 1) alone; IndexError if it has no such paragraph."""

    def uses_vectors(self) -> bool:
        """Whether a question's embedding would be used now (paragraph vectors exist and apply)."""

    def begin_request(self) -> None:
        """Start recording what this thread's request misses (the shards that did not answer)."""

    def missing_shards(self) -> list[str]:
        """The shards this thread's request had no answer from (DOCQA_SHARD_FAILURE=partial); [] embedded."""
