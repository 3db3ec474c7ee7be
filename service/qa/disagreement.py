"""When sources disagree: different values of the question's own measure from different documents.

A counting question's measure (service/qa/figures.py: died, survived, aboard, arrested, ...) decides
which figures are compared: 34 people *aboard* is never offered against 27 *dead*. Each value lists the
passages and the distinct documents that state it (corroboration) and the sentence that states it first;
an earlier figure that a text says was revised carries the value it was revised to and that sentence.
Other quantity questions ("how much") compare the number beside the question's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import spans as typed
from .answer_span import distance, is_year
from .figures import MEASURES, Figure, figures_in, measure_of_question, revision_in
from .parameters import parameter
from .passages import Passage
from .questions import GENERIC_COUNTS, Question, asks_how_many, family_of

# a number that counts a part, not the whole: "one of the dead", "the dead included five women"
PARTITIVE = re.compile(r"\s+of\s+(?:the|those|these|them|its|their)\b", re.IGNORECASE)
LISTING = re.compile(r"\b(?:includ(?:ed|es|ing)|among(?:\s+them)?)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class Quote:
    passage: int
    start: int  # offsets of the sentence in its passage's text
    end: int
    text: str


@dataclass(frozen=True)
class Disagreement:
    value: str
    passages: tuple[int, ...]
    measure: str | None = None
    documents: tuple[str, ...] = ()
    quote: Quote | None = None
    superseded_by: str | None = None
    revision: Quote | None = None  # the sentence that says the value was revised


def find_disagreement(q: Question, passages: tuple[Passage, ...], weights: dict[str, float],
                      about: frozenset[str] | None = None) -> tuple[Disagreement, ...]:
    """The values of the question's measure stated by the passages, when different documents differ; with
    `about`, only passages of those documents count (the ones about the question's own subject)."""
    if asks_how_many(q.text):
        return _by_measure(q, passages, about)
    return _by_nearest(q, passages, weights)


def subject_terms(q: Question, weights: dict[str, float]) -> list[str]:
    """The question's words that are not what it counts ("rooftop" of "How many people were rescued from
    rooftops?"): the documents compared must hold one of them (the same event)."""
    measure, noun = measure_of_question(q.text)
    counted = set(MEASURES.get(measure, ()) if measure is not None else ()) | {noun, measure} | GENERIC_COUNTS
    return [t for t in dict.fromkeys(q.terms) if t not in counted and not t.isdigit() and t in weights]


def _by_measure(q: Question, passages: tuple[Passage, ...], about: frozenset[str] | None) -> tuple[Disagreement, ...]:
    """`about`: the documents that hold the question's most specific word (the same event), or None."""
    measure, noun = measure_of_question(q.text)
    if measure is None:
        return ()
    # the counted noun's related words, when it says more than the measure (not a generic count such as "people")
    family = family_of(noun) if noun is not None and noun not in GENERIC_COUNTS and noun != measure else None
    stated: dict[str, dict] = {}
    revised: dict[str, tuple[str | None, Quote, str]] = {}
    for pi, passage in enumerate(passages):
        document = passage.hit.paragraph.document_id
        if about is not None and document not in about:
            continue
        text = passage.hit.paragraph.text
        for start, end in passage.sentences:
            sentence = text[start:end]
            found = [f for f in figures_in(sentence) if f.measure == measure and _whole(sentence, f)
                     and not (family is not None and f.noun is not None and f.noun not in family)]
            revision = revision_in(sentence, found)
            if revision is not None:
                later = revision.later or _nearest_other(passage, start, revision.earlier, measure)
                revised.setdefault(revision.earlier, (later, Quote(pi, start, end, sentence), document))
            for f in found:
                if revision is not None and f.value == revision.earlier:
                    continue  # said to be revised: not a source for it
                entry = stated.setdefault(f.value, {"passages": [], "documents": [], "quote": Quote(pi, start, end, sentence)})
                if pi not in entry["passages"]:
                    entry["passages"].append(pi)
                if document not in entry["documents"]:
                    entry["documents"].append(document)
    for value, (later, quote, document) in revised.items():  # a figure known only as revised: where it is said so
        if value not in stated and later in stated:
            stated[value] = {"passages": [quote.passage], "documents": [document], "quote": quote}
    documents = {d for entry in stated.values() for d in entry["documents"]}
    if len(stated) < 2 or len(documents) < 2:
        return ()
    out = []
    for value, entry in sorted(stated.items(), key=lambda kv: kv[1]["passages"][0]):
        later, said, _ = revised.get(value, (None, None, None))
        kept = later in stated and later != value
        out.append(Disagreement(value, tuple(entry["passages"]), measure, tuple(entry["documents"]), entry["quote"],
                                later if kept else None, said if kept else None))
    return tuple(out)


def _whole(sentence: str, figure: Figure) -> bool:
    """Not a part of a larger count ("one of the dead", "the dead included five women")."""
    return not PARTITIVE.match(sentence, figure.end) and not LISTING.search(sentence, max(0, figure.start - 20),
                                                                            figure.start)


def _nearest_other(passage: Passage, at: int, earlier: str, measure: str) -> str | None:
    """The value of the same measure that the sentence nearest `at` in the passage states (the figure a
    revision replaced an earlier one with, when the revising sentence does not repeat it)."""
    text = passage.hit.paragraph.text
    ranked = sorted(passage.sentences, key=lambda span: abs(span[0] - at))
    for start, end in ranked:
        for f in figures_in(text[start:end]):
            if f.measure == measure and f.value != earlier:
                return f.value
    return None


def _by_nearest(q: Question, passages: tuple[Passage, ...], weights: dict[str, float]) -> tuple[Disagreement, ...]:
    """Amounts and shares: the number beside the best-matching words of each passage."""
    concepts = [family_of(t) for t in dict.fromkeys(q.terms)]
    concept_weight = [max((weights[t] for t in fam if t in weights), default=0.0) for fam in concepts]
    values: dict[str, list[int]] = {}
    documents: dict[str, list[str]] = {}
    for pi, passage in enumerate(passages):
        value = _stated_value(passage, concepts, concept_weight)
        if value is not None:
            values.setdefault(value, []).append(pi)
            documents.setdefault(value, [])
            if passage.hit.paragraph.document_id not in documents[value]:
                documents[value].append(passage.hit.paragraph.document_id)
    if len(values) < 2 or len({d for ds in documents.values() for d in ds}) < 2:
        return ()
    ordered = sorted(values.items(), key=lambda kv: kv[1][0])
    return tuple(Disagreement(v, tuple(p), None, tuple(documents[v])) for v, p in ordered)


def _stated_value(passage: Passage, concepts: list[tuple[str, ...]], concept_weight: list[float]) -> str | None:
    """The number a passage gives for the question's focus: the number beside the best-matching words."""
    text = passage.hit.paragraph.text
    needed = parameter("disagreement_coverage") * sum(concept_weight)  # about most of what was asked
    rarest = max(range(len(concepts)), key=lambda i: concept_weight[i]) if concepts else None
    best = None
    for (start, end), inside in zip(passage.sentences, passage.sentence_terms):
        present = [i for i, fam in enumerate(concepts) if any(t in fam for t, _ in inside)]
        strength = sum(concept_weight[i] for i in present)
        if strength <= 0 or strength < needed or rarest not in present:  # and about its most specific part
            continue
        anchors = [s for t, s in inside if any(t in concepts[i] for i in present)]
        for s, e in typed.numbers(text[start:end]):
            s, e = s + start, e + start
            value = typed.parse_number(text[s:e])
            gap = distance((s, e), anchors, "quantity")
            if value is None or is_year(text[s:e]) or gap > parameter("disagreement_reach") or PARTITIVE.match(text, e) \
                    or LISTING.search(text, max(0, s - 20), s):
                continue
            key = (strength - gap / 100, -s)
            if best is None or key > best[0]:
                best = (key, typed.format_number(value))
    return best[1] if best else None
