"""What a search returns, and the one way first-stage candidates become hits, whatever the engine.

An engine (the embedded index, the live overlay's segments, Xapian shards) supplies its best first-stage
candidates, best first: their scores, terms, previous paragraph's terms, documents' titles, order in
the corpus, and (when it has them) their vectors. `rank` owns the rest: how many are re-ranked (the pool,
wider with the semantic signal), the fitted re-rank (index/rerank.py), ties (the earlier paragraph in the
corpus first), and building each Hit with the question words it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from index import rerank
from index.documents import Paragraph


@dataclass(frozen=True)
class Hit:
    paragraph: Paragraph
    score: float
    matched_terms: tuple[str, ...]
    semantic: float = 0.0  # the part of `score` the semantic signal added (0 when it was not used)
    # the paragraph's terms with their offsets in its text, when the engine stored them (else analysed on use)
    terms: tuple[tuple[str, int, int], ...] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Candidates:
    """An engine's first-stage candidates for one question, best first (term ids of one vocabulary)."""

    scores: np.ndarray                      # first-stage scores
    terms: Sequence[np.ndarray]             # each candidate's terms
    previous: Sequence[np.ndarray | None]   # its previous paragraph's terms (same document), or None
    documents: Sequence[int]                # a number per candidate: the same number, the same document
    titles: Sequence[np.ndarray]            # each document number's title terms
    corpus_order: np.ndarray                # where each stands in the corpus (ties go to the earlier)
    query: np.ndarray                       # the question's known terms ...
    weights: np.ndarray                     # ... weighted: idf x their weight in the question
    words: Sequence[str]                    # ... as words (what a hit matched)
    prefixes: np.ndarray                    # per term id, its near-miss group (rerank.prefix_groups)
    paragraph: Callable[[int], Paragraph]   # the paragraph of candidate i
    vectors: Callable[[int], np.ndarray | None] | None = None  # unit vectors of the first n, or None
    spans: Callable[[int], tuple[tuple[str, int, int], ...]] | None = None  # candidate i's terms with offsets


def wanted(k: int, semantic: bool, reranked: bool = True) -> int:
    """How many first-stage candidates an engine supplies for k hits: the re-rank's pool at least."""
    ranking = rerank.ranking()
    return max(k, ranking.semantic_candidates if semantic else ranking.candidates) if reranked else k


def rank(c: Candidates, k: int, question: np.ndarray | None = None, reranked: bool = True) -> list[Hit]:
    """The k best hits: the leading candidates re-ranked (with the question's vector and every one's own,
    the semantic features too), the others after them in first-stage order, so the best k never depend
    on how many were asked for (a re-ranked score is never below its first-stage score)."""
    n = len(c.scores)
    k = min(k, n)
    if not k:
        return []
    ranking = rerank.ranking()
    scores = np.asarray(c.scores, dtype=np.float64)
    flat, offsets, positions, numbers = _layout(c)
    title_flat, title_offsets = _concatenated(c.titles)
    holds = rerank.terms_held(flat, offsets, positions, c.query)
    order, added = np.arange(n), np.zeros(n)
    window = min(n, ranking.semantic_candidates) if reranked and n > 1 else 0
    vectors = c.vectors(window) if window and question is not None and c.vectors is not None else None
    if vectors is None:  # without a vector for every candidate, the lexical re-rank
        window = min(window, ranking.candidates)
    if window:
        features = _features((flat, offsets, positions, numbers), (title_flat, title_offsets), c, scores, window)
        if vectors is not None:
            features = rerank.with_cosines(features, vectors @ question)
        reranked_scores, semantic = rerank.rerank_scores(features, scores[:window])
        best = np.lexsort((c.corpus_order[:window], -reranked_scores))
        order = np.concatenate([best, order[window:]])
        scores = np.concatenate([reranked_scores[best], scores[window:]])
        added = np.concatenate([semantic[best], added[window:]])
    return [Hit(c.paragraph(i), round(float(scores[rank_]), 4),
                tuple(w for w, h in zip(c.words, holds[i].tolist()) if h), round(float(added[rank_]), 4),
                c.spans(i) if c.spans is not None else None)
            for rank_, i in enumerate(order[:k].tolist())]


def features(c: Candidates, question: np.ndarray | None = None) -> np.ndarray | None:
    """The re-rank features of every candidate (with `question`, the semantic ones too: None when a
    candidate has no vector yet): what `docqa eval fit-ranking` learns the weights from."""
    layout = _layout(c)
    values = _features(layout, _concatenated(c.titles), c, np.asarray(c.scores, dtype=np.float64), len(c.scores))
    if question is None:
        return values
    vectors = c.vectors(len(c.scores)) if c.vectors is not None else None
    return rerank.with_cosines(values, vectors @ question) if vectors is not None else None


def _features(layout, titles, c: Candidates, scores: np.ndarray, window: int) -> np.ndarray:
    flat, offsets, positions, numbers = layout
    return rerank.candidate_features(positions[:window], scores[:window], flat, offsets, c.query, c.weights,
                                     c.prefixes, numbers, titles)[0]


def _layout(c: Candidates):
    """The candidates as a small corpus of their own, each after its previous paragraph: (terms flat,
    offsets, each candidate's position in it, each position's document number, -1 for no paragraph)."""
    parts, numbers = [], []
    empty = np.zeros(0, np.int64)
    for previous, own, document in zip(c.previous, c.terms, c.documents):
        parts += [previous if previous is not None else empty, own]
        numbers += [document if previous is not None else -1, document]
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    flat = np.concatenate(parts).astype(np.int64) if parts else empty
    return flat, offsets, np.arange(1, 2 * len(c.terms), 2), np.array(numbers, dtype=np.int64)


def _concatenated(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in arrays], out=offsets[1:])
    flat = np.concatenate(arrays).astype(np.int64) if len(arrays) else np.zeros(0, np.int64)
    return flat, offsets
