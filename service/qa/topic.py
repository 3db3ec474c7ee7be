"""Whether a question that names its own subject still belongs to the conversation's document.

"My insurance ended, what should I do?" in a conversation about one help page belongs to it, though it
leans on nothing; "Which team won Super Bowl 50?" after three questions about a story does not. The
question is searched alone and with the conversation's recent words; when the two disagree on the
document, a near-tie on the question's own words (TIE_RATIO) is weighed by a fitted linear model (the score gap
in BM25 units and as a share, and how much the words found at all): a positive score keeps the
conversation's document. Otherwise the question is answered exactly as if asked alone.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from index.analysis import analyze
from index.hits import Hit
from index.linear_model import LinearModel, load_model, model_path

TOPIC_TURNS = 3       # the recent turns whose words make the conversation's query ...
TOPIC_DECAY = 0.6     # ... each turn back weighing this much less
TOPIC_TEXT_CHARS = 2000
# The conversation may break a tie, never outweigh the question's own words: its document is weighed only
# when its best paragraph scores within this share of the best one on the question's words (a policy: a
# paragraph up to 30% below the best is a near-tie, one a third below is not; the seed articles' "How many
# people died?" after a conversation about the mayor is 32% below, and must be answered as if alone).
TIE_RATIO = 0.7
FEATURES = (
    "gap",          # the question's best score alone minus its best score in the conversation's document
    "ratio",        # the same as a share: best in the conversation's document / best alone
    "log_score",    # log of the best score alone: how much the question's own words found
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


def features(alone: list[Hit], document: str) -> dict[str, float]:
    best = alone[0].score
    inside = max((h.score for h in alone if h.paragraph.document_id == document), default=0.0)
    return {"gap": best - inside, "ratio": inside / best if best else 0.0, "log_score": math.log(max(best, 1e-6)),
            "bias": 1.0}


def keeps(alone: list[Hit], document: str) -> bool:
    """Whether the conversation's `document` is kept over the best of `alone` (the question's own words)."""
    values = features(alone, document)
    return values["ratio"] >= TIE_RATIO and score(values) > 0


def score(values: dict[str, float]) -> float:
    m = model()
    return float(np.dot(m.weights, [values[f] for f in m.features]))
