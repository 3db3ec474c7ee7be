"""Fit the re-ranking and answer-sentence weights: listwise logistic models over their features.

The models stay linear (score = features . weights), so every ranking and answer can still be explained
feature by feature; only the weights are learnt, from SQuAD articles with an even index (the odd ones
stay held out).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from index import analysis, rerank
from index.hits import features, wanted
from index.errors import EmptyQueryError, InvalidInputError
from index.files import sha256_of
from index.linear_model import write_model
from index.semantic.vectors import ensure_vectors

from ..qa.answer_sentence import HAND_SET_FEATURES, SENTENCE_FEATURES, model, sentence_candidates
from ..qa.passages import find_passages, question_vector, term_weights
from ..qa.questions import parse_question
from .evaluation import load_squad, squad_index


L2, ITERATIONS, RATE = 1e-3, 300, 0.025
FITTER = {"method": "listwise logistic regression, full-batch Adam", "l2": L2, "iterations": ITERATIONS, "rate": RATE}


def fit_listwise(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = L2,
                 iterations: int = ITERATIONS, rate: float = RATE) -> np.ndarray:
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
                groups.append((np.array([[f[name] for name in SENTENCE_FEATURES] for f, _ in candidates]),
                               np.array([any(g in a.text for g in q.answers) for _, a in candidates])))
        if progress:
            progress(i, len(questions))
    return groups


def fit_sentence_model(path: Path, out: Path, progress: Callable[[int, int], None] | None = None) -> dict[str, float]:
    """Fit the sentence weights on the even articles (the hand-set ones, HAND_SET_FEATURES, keep the current
    model file's weights) and write
    the model file `out`; returns the weights."""
    learnt = [i for i, name in enumerate(SENTENCE_FEATURES) if name not in HAND_SET_FEATURES]
    fit = _fit_on_even_articles(path, lambda index, _, questions: sentence_groups(index, questions, progress), learnt)
    fitted = dict(zip((SENTENCE_FEATURES[i] for i in learnt), (round(float(w), 4) for w in fit.weights)))
    weights = {name: model().weight(name) if name in HAND_SET_FEATURES else fitted[name] for name in SENTENCE_FEATURES}
    held_out = _top_share(fit.held_out, np.array(list(weights.values())), (1,))
    write_model(out, "sentence", 2, weights, fit.made_by(
        path, "fit-answers", f"hand-set, kept from the previous model file: {list(HAND_SET_FEATURES)}",
        {"answer_sentence_in_candidates": held_out["top1"], "questions": held_out["questions"]}))
    return weights


def ranking_groups(index, questions, context_of, progress: Callable[[int, int], None] | None = None):
    """(re-ranking features, is the gold context) for the first-stage candidates of each question,
    searched exactly as /api/ask searches (the same parsed terms and related words; with the
    question's vector when the index has paragraph vectors)."""
    groups = []
    for i, q in enumerate(questions, 1):
        parsed = parse_question(q.question, idf=lambda terms: index.idf(terms).tolist())
        vector = question_vector(index, q.question) if parsed.search else None
        pool = wanted(0, vector is not None and index.vectors is not None)
        found = index.candidates(parsed.search, pool, parsed.terms) if parsed.search else None
        values = features(found, vector if index.vectors is not None else None) if found is not None else None
        if values is None and found is not None and vector is not None and index.vectors is not None:
            raise ValueError("some paragraphs have no vector; run the embedding pass first")
        if values is not None and found is not None:
            gold = [context_of(found.paragraph(i)) == q.context for i in range(len(found.scores))]
            groups.append((values, np.array(gold)))
        if progress:
            progress(i, len(questions))
    return groups


def fit_ranking_model(path: Path, out: Path, progress: Callable[[int, int], None] | None = None,
                      semantic: bool = False) -> dict[str, float]:
    """Fit the re-ranking weights on the even articles, scaled so that the first-stage score's weight
    is 1 (the re-ranked score stays in BM25 units), and write the model file `out`; returns the weights.
    With `semantic`, the paragraphs are embedded first and the semantic features are fitted too."""
    fit = _fit_on_even_articles(
        path, lambda index, context_of, questions: ranking_groups(index, questions, context_of, progress),
        semantic=semantic)
    features = rerank.SEMANTIC_FEATURES if semantic else rerank.FEATURES
    first = fit.weights[rerank.COLUMN["first_stage"]]
    if first <= 0:
        raise InvalidInputError(f"{path}: the fitted weight of the first-stage score is not positive")
    # no weight may be negative (a re-ranked score never falls below its first-stage score): clip at 0
    weights = {name: max(0.0, round(float(w / first), 4)) for name, w in zip(features, fit.weights)}
    held_out = _top_share(fit.held_out, np.array(list(weights.values())), (1, 5))
    write_model(out, "semantic" if semantic else "rerank", 1, weights, fit.made_by(
        path, "fit-ranking --semantic" if semantic else "fit-ranking",
        "scaled so that first_stage is 1, negative weights clipped to 0", {"gold_in_candidates_" + k if k != "questions" else k: v
                                                  for k, v in held_out.items()}))
    return weights


@dataclass(frozen=True)
class Fit:
    weights: np.ndarray
    held_out: list          # the odd articles' groups, for figures
    settings: dict

    def made_by(self, path: Path, command: str, note: str, figures: dict) -> dict:
        return {"command": f"docqa eval {command} {Path(path).name}", "training_data": Path(path).name,
                "sha256": sha256_of(Path(path)),
                "subset": "even-numbered articles", "held_out": "odd-numbered articles", "analysis": analysis.settings(),
                "fitter": {**self.settings, "note": note}, "held_out_figures": figures}


def _top_share(groups: list, weights: np.ndarray, cutoffs: tuple[int, ...]) -> dict:
    """Share of groups whose first positive row ranks within each cutoff under `weights` (stable ties)."""
    ranks = []
    for x, y in groups:
        order = np.argsort(-(x @ weights), kind="stable")
        ranks.append(int(np.flatnonzero(y[order])[0]) + 1 if y.any() else None)
    return {"questions": len(groups), **{f"top{c}": round(sum(1 for r in ranks if r and r <= c) / max(len(ranks), 1), 4)
                                         for c in cutoffs}}


def _fit_on_even_articles(path: Path, collect: Callable, columns: list[int] | None = None,
                          semantic: bool = False) -> Fit:
    """Index every SQuAD context (and embed it, with `semantic`), `collect(index, context_of, questions)`
    groups for every question, fit `columns` of the even articles' features (all by default), and keep
    the odd ones' groups for figures."""
    articles, questions = load_squad(path)
    even = [q for q in questions if q.article % 2 == 0]
    odd = [q for q in questions if q.article % 2 == 1]
    with tempfile.TemporaryDirectory(prefix="docqa-fit-") as tmp:
        index, context_of = squad_index(articles, Path(tmp))
        if semantic:
            ensure_vectors(index)
        training = collect(index, context_of, even)
        held_out = collect(index, context_of, odd)
    try:
        weights = fit_listwise([(x if columns is None else x[:, columns], y) for x, y in training])
    except ValueError as exc:
        raise InvalidInputError(f"{path}: {exc}") from None
    return Fit(weights, held_out, FITTER)
