"""Re-rank the best BM25 candidates with a linear model over a few lexical features per candidate.

Only the top CANDIDATES are re-scored, so the cost is bounded whatever the corpus size. Each feature
is a share in [0, 1] (or the first-stage score over the best one), computed with small dense numpy
arrays over the candidates' terms; the weights are fitted by `docqa eval fit-ranking` on SQuAD's even
articles (docs/EVALUATION.md), and the score stays in BM25 units: first-stage score + bonus.
"""

from __future__ import annotations

import numpy as np

from .engine import lucene_idf

CANDIDATES = 15
WINDOW = 15
SAME_DOCUMENT_OF = 10  # "same_document" counts among this many leading candidates

FEATURES = (
    "first_stage",     # body + phrase + title score, over the best candidate's
    "window",          # idf share of distinct question terms inside the best WINDOW-term window
    "local_coverage",  # share of the question's terms found here or in the document's title, each weighted
                       # by idf x its idf among the candidates (a topic word in every candidate tells them
                       # apart poorly; a title's word is what every paragraph of its document is about)
    "near_miss",       # the same share for question terms missing here but present with the same first five letters
    "same_document",   # share of the leading candidates from this paragraph's document
    "previous",        # idf share of question terms missing here that the previous paragraph of the same
                       # document holds ("Tesla ..." then "He was born ...")
)
WEIGHTS = {"first_stage": 1.0, "window": 0.9659, "local_coverage": 0.5559, "near_miss": 0.7328, "same_document": 0.4043,
           "previous": 0.53}
_WEIGHTS = np.array([WEIGHTS[name] for name in FEATURES])


def prefix_groups(vocabulary: list[str], length: int = 5) -> np.ndarray:
    """Per term id, a group shared by the terms with the same first `length` letters; a shorter term is
    a group of its own, numbered below zero."""
    groups: dict[str, int] = {}
    return np.fromiter((groups.setdefault(t[:length], len(groups)) if len(t) >= length else -1 - i
                        for i, t in enumerate(vocabulary)), dtype=np.int64, count=len(vocabulary))


def holds(tokens: np.ndarray, starts: np.ndarray, ends: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Which of the `query` term ids each token range [start, end) holds: ranges x terms, bool.

    The ranges' tokens are gathered into one flat array and looked up in the sorted query."""
    found = np.zeros((len(starts), len(query)), dtype=bool)
    lengths = ends - starts
    if not len(query) or lengths.sum() <= 0:
        return found
    row = np.repeat(np.arange(len(starts)), lengths)
    flat = tokens[np.arange(len(row)) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)]
    order = np.argsort(query)
    position = np.minimum(np.searchsorted(query[order], flat), len(query) - 1)
    hit = query[order][position] == flat
    found[row[hit], order[position[hit]]] = True
    return found


def candidate_features(candidates: np.ndarray, first_stage: np.ndarray, tokens: np.ndarray, offsets: np.ndarray,
                       query: np.ndarray, idf: np.ndarray, prefixes: np.ndarray, documents: np.ndarray,
                       titles: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A candidates x FEATURES matrix, and which question terms each candidate holds (candidates x
    terms, bool); `query` holds the question's term ids and `idf` their weights, `documents` each
    paragraph's document number and `titles` the documents' title terms (flat, offsets).

    The candidates' terms are laid out as a padded candidates x longest grid, so one comparison with
    the question's prefix groups finds every exact and near match with its candidate and position.
    Windows are WINDOW-term buckets at two offsets (0 and WINDOW/2), so any run of WINDOW/2
    consecutive terms lies inside one bucket."""
    n, q = len(candidates), len(query)
    starts, ends = offsets[candidates], offsets[candidates + 1]
    longest = int((ends - starts).max())
    same = documents[candidates]
    features = np.zeros((n, len(FEATURES)))
    features[:, 0] = first_stage / (first_stage[0] or 1.0)
    features[:, 4] = np.count_nonzero(same[:, None] == same[:SAME_DOCUMENT_OF], axis=1) / min(n, SAME_DOCUMENT_OF)
    total = idf.sum()
    if not longest or total <= 0:
        return features, np.zeros((n, q), dtype=bool)
    at = starts[:, None] + np.arange(longest)
    inside = at < ends[:, None]
    grid = tokens[np.where(inside, at, 0)]
    groups = prefixes[query]
    padding = np.iinfo(prefixes.dtype).min  # no term's group
    owner, position, term = np.nonzero(np.where(inside, prefixes[grid], padding)[:, :, None] == groups)
    matched = np.zeros((2, n, q), dtype=bool)  # [0] the term itself, [1] a term with its first letters
    matched[1, owner, term] = True
    exact = grid[owner, position] == query[term]
    owner, position, term = owner[exact], position[exact], term[exact]
    matched[0, owner, term] = True
    matched[1] &= ~matched[0] & (groups >= 0)
    buckets = longest // WINDOW + 2
    window = np.zeros((n, 2 * buckets, q), dtype=bool)
    window[owner, position // WINDOW, term] = True
    window[owner, buckets + (position + WINDOW // 2) // WINDOW, term] = True
    title_flat, title_offsets = titles
    found = matched[0] | holds(title_flat, title_offsets[same], title_offsets[same + 1], query)
    local = idf * lucene_idf(np.count_nonzero(found, axis=0), n)
    features[:, 1] = (window @ idf).max(axis=1) / total
    features[:, 2] = found @ local / (local.sum() or 1.0)
    features[:, 3] = matched[1] @ local / (local.sum() or 1.0)
    before = np.maximum(candidates - 1, 0)
    has_previous = (candidates > 0) & (documents[before] == same)
    previous = holds(tokens, offsets[before], np.where(has_previous, offsets[before + 1], offsets[before]), query)
    features[:, 5] = (previous & ~matched[0]) @ idf / total
    return features, matched[0]


def rerank_scores(features: np.ndarray, first_stage: np.ndarray) -> np.ndarray:
    """The final score in BM25 units: first-stage score plus the other features' bonus, rescaled."""
    top = first_stage[0] or 1.0
    return features @ _WEIGHTS * (top / _WEIGHTS[0])
