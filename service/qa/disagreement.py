"""When sources disagree: different values for the asked quantity from different documents."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import spans as typed
from .answer_span import distance, is_year
from .passages import Passage
from .questions import Question, family_of

# a number that counts a part, not the whole: "one of the dead", "the dead included five women"
PARTITIVE = re.compile(r"\s+of\s+(?:the|those|these|them|its|their)\b", re.IGNORECASE)
LISTING = re.compile(r"\b(?:includ(?:ed|es|ing)|among(?:\s+them)?)\s+$", re.IGNORECASE)
GENERIC_COUNTS = {"peopl", "person", "time", "number", "total", "amount", "year", "day"}


@dataclass(frozen=True)
class Disagreement:
    value: str
    passages: tuple[int, ...]



def specific_focus(q: Question) -> set[str]:
    """The counted thing's words when it is specific ("women"), empty when generic ("people", "times")."""
    head = q.focus[:1]  # "how many women died" counts women; the words after say which
    return {related for t in head if t not in GENERIC_COUNTS for related in family_of(t)}


def find_disagreement(q: Question, passages: tuple[Passage, ...], weights: dict[str, float]) -> tuple[Disagreement, ...]:
    """Different values for the question's focus stated by passages from different documents."""
    concepts = [family_of(t) for t in dict.fromkeys(q.terms)]
    concept_weight = [max((weights[t] for t in fam if t in weights), default=0.0) for fam in concepts]
    values: dict[str, list[int]] = {}
    documents: dict[str, set[str]] = {}
    specific = specific_focus(q)
    for pi, passage in enumerate(passages):
        value = _stated_value(passage, concepts, concept_weight, specific)
        if value is not None:
            values.setdefault(value, []).append(pi)
            documents.setdefault(value, set()).add(passage.hit.paragraph.document_id)
    if len(values) < 2 or len(set().union(*documents.values())) < 2:
        return ()
    ordered = sorted(values.items(), key=lambda kv: kv[1][0])
    return tuple(Disagreement(v, tuple(p)) for v, p in ordered)


def _stated_value(passage: Passage, concepts: list[tuple[str, ...]], concept_weight: list[float],
                  specific: set[str]) -> str | None:
    """The number a passage gives for the question's focus: the number beside the best-matching words."""
    text = passage.hit.paragraph.text
    needed = 0.5 * sum(concept_weight)  # the sentence must be about most of what was asked
    rarest = max(range(len(concepts)), key=lambda i: concept_weight[i]) if concepts else None
    best = None
    for (start, end), inside in zip(passage.sentences, passage.sentence_terms):
        present = [i for i, fam in enumerate(concepts) if any(t in fam for t, _ in inside)]
        strength = sum(concept_weight[i] for i in present)
        if strength <= 0 or strength < needed or rarest not in present:  # and about its most specific part
            continue
        anchors = [s for t, s in inside if (t in specific if specific else any(t in concepts[i] for i in present))]
        if not anchors:
            continue  # a specific counted thing ("women") must be what the number counts
        for s, e in typed.numbers(text[start:end]):
            s, e = s + start, e + start
            value = typed.parse_number(text[s:e])
            gap = distance((s, e), anchors, "quantity")
            if (value is None or is_year(text[s:e]) or gap > 40 or PARTITIVE.match(text, e)
                    or LISTING.search(text, max(0, s - 20), s)):
                continue
            key = (strength - gap / 100, -s)
            if best is None or key > best[0]:
                best = (key, typed.format_number(value))
    return best[1] if best else None

