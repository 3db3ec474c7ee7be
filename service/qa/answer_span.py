"""The answer inside a sentence: the number, date, name or place the question asks for."""

from __future__ import annotations

import re

from index.analysis import analyze_spans

from . import spans as typed
from .parameters import parameter
from .questions import Question, asks_how_many, family_of, parse_question


def answer_span(q: Question, sentence: str, matched: list[tuple[str, int]]) -> tuple[int, int] | None:
    """The answer inside the sentence for the question's type, or None when unsure."""
    finder = {"quantity": typed.numbers, "when": typed.dates, "who": typed.names, "where": typed.places}.get(q.kind)
    if finder is None:
        return None
    question_words = {_word(w) for w in q.text.split()}
    words = lambda c: {_word(w) for w in re.split(r"[\s’']+", sentence[c[0]:c[1]]) if w}  # noqa: E731
    found = finder(sentence)
    if q.kind == "who":  # "Home Secretary Priti Patel" asked as "who is the Home Secretary?" -> "Priti Patel"
        found = [c for c in (_trim_words(sentence, c, question_words) for c in found) if c]
    candidates = [c for c in found if not words(c) <= question_words and not (q.kind == "who" and words(c) & question_words)]
    if q.kind == "quantity":
        question_values = {typed.parse_number(q.text[s:e]) for s, e in typed.numbers(q.text)}
        counting = asks_how_many(q.text)
        share_or_sum = re.compile(r"%|per\s?cent|[£$€¥]", re.I)
        amount = re.compile(r"%|per\s?cent|[£$€¥]|million|billion|trillion|\d(?:m|bn)\b", re.I)
        candidates = [(s, e) for s, e in candidates if typed.parse_number(sentence[s:e]) not in question_values
                      and (not share_or_sum.search(sentence[s:e]) if counting else
                           bool(amount.search(sentence[s:e])) or "much" not in q.text.lower())]
        # "19 of 28 new drugs" counts 19, the part; but "one of four teams" counts four
        parts = {e for s, e in candidates if sentence[s:e].lower() not in ("one", "1")}
        candidates = [(s, e) for s, e in candidates
                      if not ((m := _OF_WHOLE.search(sentence, 0, s)) and m.end() == s and m.start() in parts)]
    if not candidates:
        return None
    focus = focus_family(q) if q.kind == "quantity" else set()
    anchors = [s for t, s in matched if t in focus] or [s for _, s in matched]
    others = [s for t, s in matched if t not in focus] or anchors
    # nearest the counted thing; among equals, nearest the rest of the question; years last
    possessive = lambda c: " " not in sentence[c[0]:c[1]] and (  # noqa: E731
        sentence[c[0]:c[1]].endswith(("’s", "'s")) or sentence[c[1]:c[1] + 2] in ("’s", "'s"))
    return min(candidates, key=lambda c: (is_year(sentence[c[0]:c[1]]), q.kind == "who" and possessive(c),
                                          distance(c, anchors, q.kind)
                                          + parameter("span_other_words") * distance(c, others, q.kind),
                                          c[0]))


def span_of(question: str, sentence: str) -> str | None:
    """What `sentence` answers to `question` asked alone (the name for "who", the number for "how many"),
    or None: an earlier answer's marked span, worked out again from the history a client sends."""
    q = parse_question(question)
    matched = [(t, s) for t, s, _ in analyze_spans(sentence) if t in q.search]
    span = answer_span(q, sentence, matched)
    return sentence[span[0]:span[1]] if span else None


_OF_WHOLE = re.compile(r"\s+of\s+(?:the\s+)?$")


def _trim_words(text: str, span: tuple[int, int], drop: set[str]) -> tuple[int, int] | None:
    """Shrink `span` past leading and trailing words in `drop`; None if nothing is left."""
    tokens = [(m.start() + span[0], m.end() + span[0]) for m in re.finditer(r"\S+", text[span[0]:span[1]])]
    while tokens and _word(text[tokens[0][0]:tokens[0][1]]) in drop | {"and", "of", "the"}:
        tokens.pop(0)
    while tokens and _word(text[tokens[-1][0]:tokens[-1][1]]) in drop | {"and", "of", "the"}:
        tokens.pop()
    return (tokens[0][0], tokens[-1][1]) if tokens else None


def _word(text: str) -> str:
    return text.lower().strip(".,;:?!()'’\"“”")



def focus_family(q: Question) -> set[str]:
    return {related for t in q.focus for related in family_of(t)}


def distance(candidate: tuple[int, int], anchors: list[int], kind: str) -> float:
    if not anchors:
        return 0.0
    start, end = candidate
    # A count usually comes right before what it counts ("two survivors"), so after-anchor costs more.
    after = parameter("span_after_anchor") if kind == "quantity" else 1.0
    return min(a - end if a >= end else (start - a) * after for a in anchors)


def is_year(text: str) -> bool:
    return text.isdigit() and len(text) == 4 and 1500 <= int(text) <= 2100

