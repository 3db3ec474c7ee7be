"""BM25 engines over analysed paragraphs: scoring only; terms and paragraphs live in `index.store`.

Both engines score with the Lucene variant of BM25 (index/lexical/bm25.py, the formula's one home).
`Bm25sEngine` keeps bm25s's eager sparse index (the precomputed term->paragraph score matrix, CSC)
and scores a query by adding the matrix columns of its terms; `RankBm25Engine` is the reference (rank-bm25, a Python loop over
every paragraph), kept as the test oracle and selectable with `--engine rank-bm25`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, ClassVar, Protocol

import numpy as np

from index.lexical.bm25 import Bm25Params, average_length, lucene_idf, saturation


def bm25_matrix(flat: np.ndarray, offsets: np.ndarray, vocab_size: int, params: Bm25Params):
    """The Lucene-BM25 score of every (term, paragraph) pair as CSC arrays (data, indices, indptr).

    The same matrix bm25s builds (a test checks it), computed with a few vectorised numpy passes
    instead of a Python loop per paragraph, so a million paragraphs index in seconds."""
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    paragraph = np.repeat(np.arange(n, dtype=np.int64), lengths)
    # sorting by (term, paragraph) gives the CSC order directly
    pairs, tf = np.unique(flat.astype(np.int64) * max(n, 1) + paragraph, return_counts=True)
    term, paragraph = np.divmod(pairs, max(n, 1))
    df = np.bincount(term, minlength=vocab_size)
    idf = lucene_idf(df, n)
    norm = params.length_norm(lengths, average_length(float(lengths.sum()), n))
    data = (idf[term] * saturation(tf, norm[paragraph])).astype(np.float32)
    indptr = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    return data, paragraph.astype(np.int32), indptr


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the k best positive scores, best first (ties: lower index first)."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > k > 0:
        kth = scores[candidates[np.argpartition(-scores[candidates], k - 1)[k - 1]]]
        candidates = candidates[scores[candidates] >= kth]  # every tie at the cut, so the lowest indices win
    best = scores[candidates]
    order = np.lexsort((candidates, -best))[:k]
    return candidates[order], best[order]


FieldTerms = Callable[[], tuple[np.ndarray, np.ndarray]]  # (term ids, paragraph offsets) of one field, on demand


class Engine(Protocol):
    """What the index needs of a BM25 engine: build or load one field's scorer, save it, score with it."""

    name: ClassVar[str]
    FILES: ClassVar[tuple[str, ...]]
    num_paragraphs: int

    @classmethod
    def build(cls, flat: np.ndarray, offsets: np.ndarray, vocab_size: int, params: Bm25Params) -> "Engine": ...

    @classmethod
    def load(cls, directory: Path, num_paragraphs: int, prefix: str, terms: FieldTerms,
             params: Bm25Params) -> "Engine": ...

    def save(self, directory: Path, prefix: str = "") -> None: ...

    def doc_freq(self, term_ids: np.ndarray) -> np.ndarray: ...

    def scores(self, term_ids: np.ndarray, weights: np.ndarray, out: np.ndarray | None = None) -> np.ndarray: ...


class Bm25sEngine:
    """Sparse BM25: bm25s's precomputed score matrix (CSC by term), memory-mapped from disk."""

    name: ClassVar[str] = "bm25s"
    FILES: ClassVar[tuple[str, ...]] = ("bm25_data.npy", "bm25_indices.npy", "bm25_indptr.npy")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, num_paragraphs: int):
        self.data, self.indices, self.indptr = data, indices, indptr
        self.num_paragraphs = num_paragraphs

    @classmethod
    def build(cls, flat: np.ndarray, offsets: np.ndarray, vocab_size: int, params: Bm25Params) -> "Bm25sEngine":
        data, indices, indptr = bm25_matrix(flat, offsets, vocab_size, params)
        return cls(data, indices, indptr, len(offsets) - 1)

    def save(self, directory: Path, prefix: str = "") -> None:
        for name, array in zip(self.FILES, (self.data, self.indices, self.indptr)):
            np.save(directory / (prefix + name), array, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, num_paragraphs: int, prefix: str, terms: FieldTerms,
             params: Bm25Params) -> "Bm25sEngine":
        data, indices, indptr = (np.load(directory / (prefix + n), mmap_mode="r", allow_pickle=False).view(np.ndarray)
                                 for n in cls.FILES)
        return cls(data, indices, indptr, num_paragraphs)

    def doc_freq(self, term_ids: np.ndarray) -> np.ndarray:
        return self.indptr[term_ids + 1] - self.indptr[term_ids]

    def scores(self, term_ids: np.ndarray, weights: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        scores = np.zeros(self.num_paragraphs, dtype=np.float32) if out is None else out
        for term, weight in zip(term_ids.tolist(), weights.tolist()):
            start, end = self.indptr[term], self.indptr[term + 1]
            column = self.data[start:end]
            # Indices are unique within one column, so fancy-index += is exact (no np.add.at needed).
            scores[self.indices[start:end]] += column if weight == 1.0 else column * np.float32(weight)
        return scores


class RankBm25Engine:
    """The reference engine: rank-bm25's BM25Okapi with the Lucene idf, built in memory at load."""

    name: ClassVar[str] = "rank-bm25"
    FILES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, flat: np.ndarray, offsets: np.ndarray, params: Bm25Params):
        from rank_bm25 import BM25Okapi

        class LuceneOkapi(BM25Okapi):
            def _calc_idf(self, nd):
                self.nd = nd
                for word, freq in nd.items():
                    self.idf[word] = float(lucene_idf(freq, self.corpus_size))

        # rank-bm25 cannot index an empty paragraph list; a placeholder keeps N and avgdl unchanged.
        corpus = [list(map(str, flat[offsets[i]:offsets[i + 1]].tolist())) or ["\x00"] for i in range(len(offsets) - 1)]
        self.model = LuceneOkapi(corpus, k1=params.k1, b=params.b)
        self.k1 = params.k1
        self.num_paragraphs = len(offsets) - 1

    @classmethod
    def build(cls, flat: np.ndarray, offsets: np.ndarray, vocab_size: int, params: Bm25Params) -> "RankBm25Engine":
        return cls(flat, offsets, params)

    def save(self, directory: Path, prefix: str = "") -> None:
        """Nothing to save: rebuilt from the stored term ids at load."""

    @classmethod
    def load(cls, directory: Path, num_paragraphs: int, prefix: str, terms: FieldTerms,
             params: Bm25Params) -> "RankBm25Engine":
        flat, offsets = terms()
        return cls(flat, offsets, params)

    def doc_freq(self, term_ids: np.ndarray) -> np.ndarray:
        return np.array([self.model.nd.get(str(t), 0) for t in term_ids.tolist()], dtype=np.int64)

    def scores(self, term_ids: np.ndarray, weights: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        total = np.zeros(self.num_paragraphs, dtype=np.float64)
        for term, weight in zip(term_ids.tolist(), weights.tolist()):
            total += weight * self.model.get_scores([str(term)])
        # rank-bm25 multiplies by (k1 + 1); divide it out so both engines give the same numbers.
        scores = (total / (self.k1 + 1)).astype(np.float32)
        if out is not None:
            out += scores
            return out
        return scores


ENGINES: dict[str, type[Engine]] = {Bm25sEngine.name: Bm25sEngine, RankBm25Engine.name: RankBm25Engine}
DEFAULT_ENGINE = Bm25sEngine.name
