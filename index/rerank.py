"""Re-rank the best BM25 candidates with a linear model over a few lexical features per candidate.

Only the leading candidates are re-scored (the ranking's pool, index/models/ranking-v1.json), so the cost
is bounded whatever the corpus size. Each feature
is a share in [0, 1] (or the first-stage score over the best one), computed with small dense numpy
arrays over the candidates' terms; the weights are fitted by `docqa eval fit-ranking` on SQuAD's even
articles (docs/EVALUATION.md), and the score stays in BM25 units: first-stage score + bonus.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from index.lexical.bm25 import lucene_idf
from index.linear_model import LinearModel, load_model, model_path

FEATURES = (
    "first_stage",     # body + phrase + title score, over the best candidate's
    "window",          # idf share of distinct question terms inside the best `window`-term window
    "local_coverage",  # share of the question's terms found here or in the document's title, each weighted
                       # by idf x its idf among the candidates (a topic word in every candidate tells them
                       # apart poorly; a title's word is what every paragraph of its document is about)
    "near_miss",       # the same share for question terms missing here but present with the same first letters
    "same_document",   # share of the leading candidates (`same_document_of`) from this paragraph's document
    "previous",        # idf share of question terms missing here that the previous paragraph of the same
                       # document holds ("Tesla ..." then "He was born ...")
)
COLUMN = {name: i for i, name in enumerate(FEATURES)}
MODEL_FILE = "rerank-v1.json"
# with paragraph vectors (index/semantic/model.py), two more features over a wider pool of candidates
SEMANTIC_FEATURES = FEATURES + (
    "cosine",            # the question's cosine with the paragraph (title, heading, text), at least 0
    "cosine_near_best",  # 1 - (the best candidate's cosine - this one's), at least 0
)
SEMANTIC_MODEL_FILE = "semantic-v1.json"
RANKING_FILE = "ranking-v1.json"
RANKING = ("phrase_weight", "title_weight", "candidates", "semantic_candidates", "window", "near_miss_prefix",
           "same_document_of")


@dataclass(frozen=True)
class Ranking:
    """How a search ranks (index/models/ranking-v1.json): the weights of the phrase and title fields against
    a paragraph's own terms in the first stage; how many leading candidates are re-ranked (more with the
    semantic signal); the re-rank features' window, near-miss prefix and same-document reach; and whether
    the re-rank runs at all (the lab's ablation turns it off)."""

    phrase_weight: float
    title_weight: float
    candidates: int
    semantic_candidates: int
    window: int
    near_miss_prefix: int
    same_document_of: int
    rerank: bool = True


@cache
def ranking() -> Ranking:
    m = load_model(model_path("index", RANKING_FILE), RANKING, non_negative=True)
    values = dict(zip(m.features, m.weights.tolist()))
    return Ranking(values["phrase_weight"], values["title_weight"], int(values["candidates"]),
                   int(values["semantic_candidates"]), int(values["window"]), int(values["near_miss_prefix"]),
                   int(values["same_document_of"]))


@cache
def model() -> LinearModel:
    """The fitted weights (index/models/rerank-v1.json, made by `docqa eval fit-ranking`). None is negative,
    so a re-ranked score is never below its first-stage score and hits beyond the re-ranked candidates can
    follow them in first-stage order (SearchIndex.search_terms)."""
    return load_model(model_path("index", MODEL_FILE), FEATURES, non_negative=True)


@cache
def semantic_model() -> LinearModel:
    """The weights with the semantic features (index/models/semantic-v1.json, `docqa eval fit-ranking --semantic`)."""
    return load_model(model_path("index", SEMANTIC_MODEL_FILE), SEMANTIC_FEATURES, non_negative=True)


def with_cosines(features: np.ndarray, cosines: np.ndarray) -> np.ndarray:
    """The lexical features with the semantic ones appended (SEMANTIC_FEATURES order)."""
    return np.column_stack([features, np.maximum(cosines, 0.0), np.maximum(1.0 - (cosines.max() - cosines), 0.0)])


def prefix_groups(vocabulary: list[str]) -> np.ndarray:
    """Per term id, a group shared by the terms with the same first `near_miss_prefix` letters; a shorter
    term is a group of its own, numbered below zero."""
    length = ranking().near_miss_prefix
    groups: dict[str, int] = {}
    return np.fromiter((groups.setdefault(t[:length], len(groups)) if len(t) >= length else -1 - i
                        for i, t in enumerate(vocabulary)), dtype=np.int64, count=len(vocabulary))


def _gather(tokens: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """The tokens of the ranges [start, end) in one flat array, with each one's range and position in it."""
    lengths = ends - starts
    rows = np.repeat(np.arange(len(starts)), lengths)
    positions = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return tokens[starts[rows] + positions], rows, positions


def _lookup(values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each value, the index of a key equal to it (keys are not empty), and whether there is one:
    a binary search in the sorted keys."""
    order = np.argsort(keys)
    at = np.minimum(np.searchsorted(keys[order], values), len(keys) - 1)
    return order[at], keys[order][at] == values


def terms_held(tokens: np.ndarray, offsets: np.ndarray, paragraphs: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Which of the question's distinct term ids each paragraph holds: paragraphs x terms, bool."""
    held = np.zeros((len(paragraphs), len(query)), dtype=bool)
    if len(query):
        flat, rows, _ = _gather(tokens, offsets[paragraphs], offsets[paragraphs + 1])
        term, found = _lookup(flat, query)
        held[rows[found], term[found]] = True
    return held


def candidate_features(candidates: np.ndarray, first_stage: np.ndarray, tokens: np.ndarray, offsets: np.ndarray,
                       query: np.ndarray, idf: np.ndarray, prefixes: np.ndarray, documents: np.ndarray,
                       titles: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A candidates x FEATURES matrix, and which question terms each candidate holds (candidates x
    terms, bool); `query` holds the question's term ids and `idf` their weights, `documents` each
    paragraph's document number and `titles` the documents' title terms (flat, offsets).

    The terms of the candidates, of their previous paragraphs and of their titles are gathered into
    one flat array, and one binary search in the question's sorted prefix groups finds every term that
    shares its first letters with a question term; those few are then compared with the question's
    terms in their group, which gives each exact and near match with its range and position.
    Windows are `window`-term buckets at two offsets (0 and window/2), so any run of window/2
    consecutive terms lies inside one bucket."""
    settings = ranking()
    window_size, reach = settings.window, settings.same_document_of
    n, q = len(candidates), len(query)
    same = documents[candidates]
    features = np.zeros((n, len(FEATURES)))
    features[:, COLUMN["first_stage"]] = first_stage / (first_stage[0] or 1.0)
    leading = np.count_nonzero(same[:, None] == same[:reach], axis=1)
    features[:, COLUMN["same_document"]] = leading / min(n, reach)
    total = idf.sum()
    if not q or total <= 0:
        return features, np.zeros((n, q), dtype=bool)
    before = np.maximum(candidates - 1, 0)
    has_previous = (candidates > 0) & (documents[before] == same)
    starts = np.concatenate([offsets[candidates], offsets[before]])
    ends = np.concatenate([offsets[candidates + 1], np.where(has_previous, offsets[before + 1], offsets[before])])
    flat, rows, positions = _gather(tokens, starts, ends)  # rows: the candidates, then their previous paragraphs
    title_flat, title_offsets = titles
    title_terms, title_rows, _ = _gather(title_flat, title_offsets[same], title_offsets[same + 1])
    flat, rows = np.concatenate([flat, title_terms]), np.concatenate([rows, title_rows + 2 * n])  # then titles
    groups = prefixes[query]
    _, near = _lookup(prefixes[flat], groups)
    flat, rows, positions = flat[near], rows[near], positions[near[:len(positions)]]  # titles: last, no positions
    hit, term = np.nonzero(prefixes[flat][:, None] == groups)  # each term sharing its group with question terms
    exact = flat[hit] == query[term]
    found = np.zeros((3 * n, q), dtype=bool)  # the term itself in the candidate, its previous paragraph, its title
    found[rows[hit[exact]], term[exact]] = True
    matched = found[:n]
    near_miss = np.zeros((n, q), dtype=bool)  # a term with its first letters, in the candidate
    mine = rows[hit] < n
    near_miss[rows[hit[mine]], term[mine]] = True
    near_miss &= ~matched & (groups >= 0)
    own = exact & mine
    owner, position, term = rows[hit[own]], positions[hit[own]], term[own]
    buckets = int((ends[:n] - starts[:n]).max()) // window_size + 2
    window = np.zeros((n, 2 * buckets, q), dtype=bool)
    window[owner, position // window_size, term] = True
    window[owner, buckets + (position + window_size // 2) // window_size, term] = True
    present = matched | found[2 * n:]
    local = idf * lucene_idf(np.count_nonzero(present, axis=0), n)
    features[:, COLUMN["window"]] = (window @ idf).max(axis=1) / total
    features[:, COLUMN["local_coverage"]] = present @ local / (local.sum() or 1.0)
    features[:, COLUMN["near_miss"]] = near_miss @ local / (local.sum() or 1.0)
    features[:, COLUMN["previous"]] = (found[n:2 * n] & ~matched) @ idf / total
    return features, matched


def rerank_scores(features: np.ndarray, first_stage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The final score in BM25 units (first-stage score plus the other features' bonus, rescaled), and
    the part of it the semantic features gave (zeros without them); the model follows the columns."""
    w = (semantic_model() if features.shape[1] == len(SEMANTIC_FEATURES) else model()).weights
    scale = (first_stage[0] or 1.0) / w[COLUMN["first_stage"]]
    semantic = features[:, len(FEATURES):] @ w[len(FEATURES):] * scale
    return features @ w * scale, semantic
