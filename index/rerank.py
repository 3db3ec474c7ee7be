"""Re-rank the best BM25 candidates by proximity: question terms close together, and most of them.

For each candidate paragraph: the idf mass of distinct question terms inside the best window of
WINDOW terms (a sentence-sized span), and the share of the question's idf mass the paragraph
matches at all. Both are added to the BM25 score; only the top CANDIDATES are re-scored, so the
cost is bounded whatever the corpus size.
"""

from __future__ import annotations

import numpy as np

CANDIDATES = 30
WINDOW = 15
WINDOW_WEIGHT = 0.4
COVERAGE_WEIGHT = 4.0


def best_window(positions: list[int], terms: list[int], idf: dict[int, float], window: int) -> float:
    """Largest idf sum of distinct terms within `window` consecutive positions (positions sorted)."""
    best = current = 0.0
    counts: dict[int, int] = {}
    lo = 0
    for hi, term in enumerate(terms):
        counts[term] = counts.get(term, 0) + 1
        if counts[term] == 1:
            current += idf[term]
        while positions[hi] - positions[lo] >= window:
            old = terms[lo]
            counts[old] -= 1
            if counts[old] == 0:
                current -= idf[old]
            lo += 1
        best = max(best, current)
    return best


def proximity_scores(candidates: np.ndarray, tokens: np.ndarray, offsets: np.ndarray,
                     idf: dict[int, float]) -> np.ndarray:
    """Window and coverage bonus per candidate paragraph (term ids in `idf` are the question's)."""
    starts, ends = offsets[candidates], offsets[candidates + 1]
    chunks = [np.asarray(tokens[s:e]) for s, e in zip(starts.tolist(), ends.tolist())]
    lengths = np.array([len(c) for c in chunks])
    if not lengths.sum():
        return np.zeros(len(candidates), dtype=np.float64)
    joined = np.concatenate(chunks)
    owner = np.repeat(np.arange(len(candidates)), lengths)
    position = np.arange(len(joined)) - np.repeat(np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    hit = np.isin(joined, np.fromiter(idf, dtype=joined.dtype, count=len(idf)))
    owner, position, term = owner[hit].tolist(), position[hit].tolist(), joined[hit].tolist()
    total = sum(idf.values()) or 1.0
    bonus = np.zeros(len(candidates), dtype=np.float64)
    i = 0
    while i < len(owner):
        j = i
        while j < len(owner) and owner[j] == owner[i]:
            j += 1
        terms = term[i:j]
        coverage = sum(idf[t] for t in set(terms)) / total
        bonus[owner[i]] = (WINDOW_WEIGHT * best_window(position[i:j], terms, idf, WINDOW)
                           + COVERAGE_WEIGHT * coverage)
        i = j
    return bonus
