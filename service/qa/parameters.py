"""The numbers question answering was tuned with, by name, from a model file (models/answering-v1.json)
that says how each was chosen; validated at start-up, read on first use (never at import)."""

from __future__ import annotations

from functools import cache

from index.linear_model import load_model, model_path

FILE = "answering-v1.json"
NAMES = (
    "family_weight",            # a related word ("dead" for "died") searched at this share of its word's weight
    "history_question_weight",  # a follow-up searches the last question's words at this weight ...
    "history_answer_weight",    # ... and the last answer's most salient words at this one ...
    "history_answer_terms",     # ... this many of them
    "answer_passages",          # the answer sentence is looked for in this many top passages
    "sentence_cover_weight",    # confidence = cover x (score_floor + (1 - score_floor) x normalised score), cover
    "passage_cover_weight",     # mixing the sentence's and the passage's share of the question's idf weight
    "score_floor",              # the confidence of a full cover in a passage that scores nothing
    "full_match_share",         # a full match of tf=1 terms reaches about this share of the maximum score
    "follow_on_confidence",     # "What happened next?" answered by the next sentence: a guess from position
    "focus_turns",              # the answers of this many recent turns make a conversation's focus
    "focus_pool",               # candidates searched before the focus (or the asked speaker) re-orders them
    "span_other_words",         # an answer span's distance to the question's other words counts this much ...
    "span_after_anchor",        # ... and a number after what it counts this much more ("two survivors")
    "disagreement_coverage",    # a sentence stating a value must hold this share of the question's weight ...
    "disagreement_reach",       # ... and the value be within this many characters of its words (amounts)
    "gender_reach",             # characters after a name in which the pronoun telling its gender is looked for
)


@cache
def parameters() -> dict[str, float]:
    model = load_model(model_path("service.qa", FILE), NAMES, non_negative=True)
    return dict(zip(model.features, model.weights.tolist()))


def parameter(name: str) -> float:
    return parameters()[name]


def count(name: str) -> int:
    return int(parameters()[name])
