"""Re-rank the best BM25 candidates by proximity: question terms close together, and most of them.

For each candidate paragraph: the idf mass of distinct question terms inside the best window of
about WINDOW terms (a sentence-sized span), and the share of the question's idf mass the paragraph
matches at all. Both are added to the BM25 score; only the top CANDIDATES are re-scored, so the
cost is bounded whatever the corpus size.
"""

from __future__ import annotations

import numpy as np

CANDIDATES = 15
WINDOW = 15
WINDOW_WEIGHT = 0.4
COVERAGE_WEIGHT = 4.0


def proximity_scores(candidates: np.ndarray, tokens: np.ndarray, offsets: np.ndarray,
                     idf: dict[int, float]) -> np.ndarray:
    """Window and coverage bonus per candidate paragraph (term ids in `idf` are the question's).

    Windows are WINDOW-term buckets at two offsets (0 and WINDOW/2), so any run of WINDOW/2
    consecutive terms lies inside one bucket. Candidates, buckets and question terms are few, so
    dense presence arrays (candidate x bucket x term) replace sorting."""
    starts, ends = offsets[candidates], offsets[candidates + 1]
    lengths = ends - starts
    if not lengths.sum():
        return np.zeros(len(candidates), dtype=np.float64)
    joined = np.concatenate([tokens[s:e] for s, e in zip(starts.tolist(), ends.tolist())])
    query = np.fromiter(idf, dtype=np.int64, count=len(idf))
    weight = np.fromiter(idf.values(), dtype=np.float64, count=len(idf))
    equal = joined[:, None] == query[None, :]
    hit = equal.any(axis=1)
    term = equal[hit].argmax(axis=1)
    owner = np.repeat(np.arange(len(candidates)), lengths)[hit]
    position = (np.arange(len(joined)) - np.repeat(np.cumsum(lengths) - lengths, lengths))[hit]
    present = np.zeros((len(candidates), len(query)), dtype=bool)
    present[owner, term] = True
    coverage = present @ weight
    buckets = int(lengths.max()) // WINDOW + 2
    window = np.zeros((len(candidates), 2 * buckets, len(query)), dtype=bool)
    window[owner, position // WINDOW, term] = True
    window[owner, buckets + (position + WINDOW // 2) // WINDOW, term] = True
    best = (window @ weight).max(axis=1)
    total = weight.sum() or 1.0
    return WINDOW_WEIGHT * best + COVERAGE_WEIGHT * coverage / total
