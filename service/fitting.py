"""Fit the re-ranking and answer-sentence weights: listwise logistic models over their features.

The models stay linear (score = features . weights), so every ranking and answer can still be explained
feature by feature; only the weights are learnt, from SQuAD articles with an even index (the odd ones
stay held out).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from index import rerank
from index.errors import EmptyQueryError, InvalidInputError

from .answers import HAND_SET_WEIGHTS, SENTENCE_FEATURES, find_passages, sentence_candidates, term_weights
from .evaluation import load_squad, squad_index
from .questions import parse_question


def fit_listwise(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 1e-3, iterations: int = 300,
                 rate: float = 0.025) -> np.ndarray:
    """Weights that maximise, in each group, the softmax probability of its positive rows.

    `groups` holds (features, positive) per question: a rows x features matrix and a boolean row mask.
    Groups without both a positive and a negative row teach nothing and are skipped. Deterministic:
    full-batch Adam from zero on standardised features, L2-regularised; weights are returned in the
    original feature units."""
    groups = [(x, y) for x, y in groups if y.any() and not y.all()]
    if not groups:
        raise ValueError("no question has both a right and a wrong candidate sentence")
    rows = np.vstack([x for x, _ in groups])
    mean, scale = rows.mean(axis=0), rows.std(axis=0) + 1e-9
    groups = [((x - mean) / scale, y) for x, y in groups]
    w = np.zeros(rows.shape[1])
    m, v = np.zeros_like(w), np.zeros_like(w)
    for step in range(1, iterations + 1):
        gradient = l2 * w
        for x, y in groups:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            positive = p[y].sum()
            # d/dw of -log(sum of positive probabilities): E_p[x] - E_{p | positive}[x]
            gradient += (x.T @ p - x[y].T @ (p[y] / positive)) / len(groups)
        m = 0.9 * m + 0.1 * gradient
        v = 0.999 * v + 0.001 * gradient ** 2
        w -= rate * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return w / scale


def sentence_groups(index, questions, progress: Callable[[int, int], None] | None = None):
    """(features, contains a gold answer) for the candidate sentences of each question."""
    groups = []
    for i, q in enumerate(questions, 1):
        try:
            parsed, hits, passages = find_passages(index, q.question, top_k=20)
        except EmptyQueryError:
            continue
        if hits:
            candidates = list(sentence_candidates(parsed, passages, term_weights(index, parsed)))
            if candidates:
                groups.append((np.array([f for f, _ in candidates], dtype=float),
                               np.array([any(g in a.text for g in q.answers) for _, a in candidates])))
        if progress:
            progress(i, len(questions))
    return groups


def fit_sentence_weights(path: Path, progress: Callable[[int, int], None] | None = None) -> dict[str, float]:
    """Fit the sentence weights on the even articles; the hand-set ones (HAND_SET_WEIGHTS) stay as they are."""
    learnt = [i for i, name in enumerate(SENTENCE_FEATURES) if name not in HAND_SET_WEIGHTS]
    weights = _fit_on_even_articles(path, lambda index, _, training: sentence_groups(index, training, progress), learnt)
    fitted = dict(zip((SENTENCE_FEATURES[i] for i in learnt), (round(float(w), 4) for w in weights)))
    return {name: HAND_SET_WEIGHTS.get(name, fitted.get(name)) for name in SENTENCE_FEATURES}


def ranking_groups(index, questions, context_of, progress: Callable[[int, int], None] | None = None):
    """(re-ranking features, is the gold context) for the first-stage candidates of each question,
    searched exactly as /api/ask searches (the same parsed terms and related words)."""
    groups = []
    for i, q in enumerate(questions, 1):
        parsed = parse_question(q.question, [], idf=lambda terms: index.idf(terms).tolist())
        found = index.rerank_candidates(parsed.search, parsed.terms) if parsed.search else None
        if found is not None:
            order, features = found
            groups.append((features, np.array([context_of(index.paragraph(p)) == q.context for p in order.tolist()])))
        if progress:
            progress(i, len(questions))
    return groups


def fit_ranking_weights(path: Path, progress: Callable[[int, int], None] | None = None) -> dict[str, float]:
    """Fit the re-ranking weights on the even articles, scaled so that the first-stage score's weight
    is 1 (the re-ranked score stays in BM25 units)."""
    weights = _fit_on_even_articles(
        path, lambda index, context_of, training: ranking_groups(index, training, context_of, progress))
    if weights[0] <= 0:
        raise InvalidInputError(f"{path}: the fitted weight of the first-stage score is not positive")
    return {name: round(float(w / weights[0]), 4) for name, w in zip(rerank.FEATURES, weights)}


def _fit_on_even_articles(path: Path, collect: Callable, columns: list[int] | None = None) -> np.ndarray:
    """Index every SQuAD context, `collect(index, context_of, questions)` groups for the even articles'
    questions, and fit `columns` of their features (all by default)."""
    articles, questions = load_squad(path)
    with tempfile.TemporaryDirectory(prefix="docqa-fit-") as tmp:
        index, context_of = squad_index(articles, Path(tmp))
        groups = collect(index, context_of, [q for q in questions if q.article % 2 == 0])
    try:
        return fit_listwise([(x if columns is None else x[:, columns], y) for x, y in groups])
    except ValueError as exc:
        raise InvalidInputError(f"{path}: {exc}") from None
