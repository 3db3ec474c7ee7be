"""Whether a question that names its own subject still belongs to the conversation's document.

"My insurance ended, what should I do?" in a conversation about one help page belongs to it, though it
leans on nothing; "Which team won Super Bowl 50?" after three questions about a story does not. The
question is searched alone and with the conversation's recent words; when the two disagree on the
document, a fitted linear model weighs how strongly the question's own words prefer theirs (the score
gap, in BM25 units and per unit of the question's idf) against the conversation's: a positive score
keeps the conversation's document. Otherwise the question is answered exactly as if asked alone.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from index.analysis import analyze
from index.engine import Hit
from index.linear_model import LinearModel, load_model, model_path

TOPIC_TURNS = 3       # the recent turns whose words make the conversation's query ...
TOPIC_DECAY = 0.6     # ... each turn back weighing this much less
TOPIC_TEXT_CHARS = 2000
FEATURES = (
    "gap",          # the question's best score alone minus its best score in the conversation's document
    "ratio",        # the same as a share: best in the conversation's document / best alone
    "log_score",    # log of the best score alone: how much the question's own words found
    "terms",        # the question's distinct analysed terms
    "gap_per_idf",  # the gap over the idf the question's terms hold together
    "bias",
)
MODEL_FILE = "continuation-v1.json"


@cache
def model() -> LinearModel:
    """The fitted weights (models/continuation-v1.json, `docqa eval fit-conversation`)."""
    return load_model(model_path("service.qa", MODEL_FILE), FEATURES)


def conversation_terms(turns) -> dict[str, float]:
    """The recent turns' questions and answers as weighted search terms, newest heaviest."""
    weights: dict[str, float] = {}
    for age, turn in enumerate(reversed(turns[-TOPIC_TURNS:])):
        weight = TOPIC_DECAY ** age
        for text in (turn.question, turn.answer or ""):
            for term in analyze(text[:TOPIC_TEXT_CHARS]):
                weights[term] = max(weights.get(term, 0.0), weight)
    return weights


def features(alone: list[Hit], document: str, terms: int, idf_total: float) -> dict[str, float]:
    best = alone[0].score
    inside = max((h.score for h in alone if h.paragraph.document_id == document), default=0.0)
    gap = best - inside
    return {"gap": gap, "ratio": inside / best if best else 0.0, "log_score": math.log(max(best, 1e-6)),
            "terms": float(terms), "gap_per_idf": gap / max(idf_total, 1e-6), "bias": 1.0}


def keeps(alone: list[Hit], document: str, terms: int, idf_total: float) -> bool:
    """Whether the conversation's `document` is kept over the best of `alone` (the question's own words)."""
    m = model()
    values = features(alone, document, terms, idf_total)
    return float(np.dot(m.weights, [values[f] for f in m.features])) > 0
