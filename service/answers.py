"""Question -> passages -> the answer sentence, its marked span, disagreement and confidence.

Lexical and explainable: every answer is one sentence quoted verbatim from a returned passage;
every offset points into the text it came with. No Flask here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property

from index import SearchIndex, analyze_spans
from index.engine import Hit
from index.errors import EmptyQueryError
from index.sentences import sentence_spans

from . import spans as typed
from .questions import Question, describe_query, family_of, parse_question

ANSWER_PASSAGES = 3          # sentences are looked for in this many top passages
PASSAGE_PRIOR = 0.5          # weight of the passage's BM25 rank in a sentence's score
TYPE_BONUS = 0.15            # the sentence holds the kind of thing asked for (a number for "how many")
PROXIMITY_BONUS = 0.1        # matched words close together
CONTEXT_WEIGHT = 0.3         # words from earlier turns and related words, against the question's own


@dataclass(frozen=True)
class Passage:
    hit: Hit
    highlights: tuple[tuple[int, int], ...]   # offsets of the words that matched the question
    terms: tuple[tuple[str, int, int], ...]   # every analysed term of the paragraph, with offsets

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        return sentence_spans(self.hit.paragraph.text)


@dataclass(frozen=True)
class Answer:
    text: str
    highlight: tuple[int, int] | None
    passage: int
    confidence: float
    start: int  # offset of the sentence inside its passage


@dataclass(frozen=True)
class Disagreement:
    value: str
    passages: tuple[int, ...]


@dataclass(frozen=True)
class AskResult:
    question: str
    query: str
    answer: Answer | None
    disagreement: tuple[Disagreement, ...]
    passages: tuple[Passage, ...]

    def disagreement_notes(self) -> list[str]:
        return [f"{d.value} in " + ", ".join(
            f"[{i + 1}] {self.passages[i].hit.paragraph.document_id} ¶{self.passages[i].hit.paragraph.number}"
            for i in d.passages) for d in self.disagreement]


def find_passages(index: SearchIndex, question: str, top_k: int = 5, history=()) -> tuple[Question, list[Hit], tuple[Passage, ...]]:
    """Parse the question (with follow-up context), search, and mark the matched words in each passage."""
    q = parse_question(question, list(history), idf=lambda terms: index.idf(terms).tolist())
    if not q.search:
        raise EmptyQueryError("the question has no searchable words (only stopwords or punctuation)")
    hits = index.search_terms(q.search, top_k, phrase=q.terms)
    passages = []
    for h in hits:  # each paragraph is analysed once; highlights, sentences and values all use it
        terms = tuple(analyze_spans(h.paragraph.text))
        passages.append(Passage(h, tuple((s, e) for t, s, e in terms if t in q.search), terms))
    return q, hits, tuple(passages)


def answer_question(index: SearchIndex, question: str, top_k: int = 5, history=(), threshold: float = 0.3) -> AskResult:
    """Search, then pick the answer sentence and span; `answer` is None below `threshold` confidence."""
    q, hits, passages = find_passages(index, question, top_k, history)
    result = dict(question=question, query=describe_query(q.search))
    if not hits:
        return AskResult(**result, answer=None, disagreement=(), passages=passages)
    weights = _term_weights(index, q)
    answer = _best_sentence(q, passages, weights)
    disagreement = _disagreement(q, passages, weights) if q.kind == "quantity" else ()
    if answer is not None and answer.confidence < threshold:
        answer, disagreement = None, ()
    return AskResult(**result, answer=answer, disagreement=disagreement, passages=passages)


def _term_weights(index: SearchIndex, q: Question) -> dict[str, float]:
    """idf x search weight per searched term; terms unknown to the index count as rarest."""
    terms = list(q.search)
    idf = index.idf(terms)
    rarest = math.log(1 + (index.num_paragraphs + 0.5) / 0.5)
    return {t: (float(i) if i > 0 else rarest) * q.search[t] for t, i in zip(terms, idf)}


def _best_sentence(q: Question, passages: tuple[Passage, ...], weights: dict[str, float]) -> Answer | None:
    own = {t: weights[t] for t in dict.fromkeys(q.terms)}
    total = sum(own.values()) or 1.0
    searched_total = sum(weights.values()) or 1.0
    top_score = passages[0].hit.score or 1.0
    best = None
    for pi, passage in enumerate(passages[:ANSWER_PASSAGES]):
        hit, text = passage.hit, passage.hit.paragraph.text
        passage_cover = _own_cover(own, set(hit.matched_terms)) / total
        for start, end in passage.sentences:
            inside = [(t, s) for t, s, e in passage.terms if start <= s < end and t in weights]
            matched = {t for t, _ in inside}
            if not matched:
                continue
            own_cover = _own_cover(own, matched) / total
            # led by the question's own words; context from history and related words counts less
            cover = own_cover + CONTEXT_WEIGHT * sum(weights[t] for t in matched if t not in own) / searched_total
            sentence = text[start:end]
            span = _answer_span(q, sentence, [(t, s - start) for t, s in inside])
            positions = sorted(s for _, s in inside)
            window = (positions[-1] - positions[0]) / max(len(sentence), 1) if len(positions) > 1 else 1.0
            typed_answer = span is not None and (q.kind != "quantity" or _counts_focus(q, matched))
            score = (cover + PASSAGE_PRIOR * hit.score / top_score + (TYPE_BONUS if typed_answer else 0.0)
                     + PROXIMITY_BONUS * (1 - window) * (len(matched) > 1))
            if best is None or score > best[0]:
                confidence = _confidence(own_cover, passage_cover, hit.score, searched_total)
                best = (score, Answer(sentence, span, pi, confidence, start))
    return best[1] if best else None


def _own_cover(own: dict[str, float], matched: set[str]) -> float:
    """idf weight of the question's terms that matched, directly or through a related word ("dead" for "died")."""
    return sum(w for t, w in own.items() if t in matched or matched.intersection(family_of(t)))


def _confidence(sentence_cover: float, passage_cover: float, score: float, max_score: float) -> float:
    """Share of the question's idf weight the answer matches, scaled by the passage's normalised BM25.

    A sentence that matches one word of four cannot be confident however well its passage scores."""
    normalised = min(1.0, score / max_score / 0.6)  # a full match of tf=1 terms reaches ~0.6 of the maximum
    cover = 0.7 * sentence_cover + 0.3 * passage_cover
    return round(cover * (0.6 + 0.4 * normalised), 3)


def _answer_span(q: Question, sentence: str, matched: list[tuple[str, int]]) -> tuple[int, int] | None:
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
        counting = q.text.lower().lstrip().startswith("how many")  # a count, not a share or a sum
        share_or_sum = re.compile(r"%|per\s?cent|[£$€¥]", re.I)
        amount = re.compile(r"%|per\s?cent|[£$€¥]|million|billion|trillion|\d(?:m|bn)\b", re.I)
        candidates = [(s, e) for s, e in candidates if typed.parse_number(sentence[s:e]) not in question_values
                      and (not share_or_sum.search(sentence[s:e]) if counting else
                           bool(amount.search(sentence[s:e])) or "much" not in q.text.lower())]
    if not candidates:
        return None
    focus = _focus_family(q) if q.kind == "quantity" else set()
    anchors = [s for t, s in matched if t in focus] or [s for _, s in matched]
    others = [s for t, s in matched if t not in focus] or anchors
    # nearest the counted thing; among equals, nearest the rest of the question; years last
    possessive = lambda c: " " not in sentence[c[0]:c[1]] and (  # noqa: E731
        sentence[c[0]:c[1]].endswith(("’s", "'s")) or sentence[c[1]:c[1] + 2] in ("’s", "'s"))
    return min(candidates, key=lambda c: (_is_year(sentence[c[0]:c[1]]), q.kind == "who" and possessive(c),
                                          _distance(c, anchors, q.kind) + 0.3 * _distance(c, others, q.kind), c[0]))


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


GENERIC_COUNTS = {"peopl", "person", "time", "number", "total", "amount", "year", "day"}


def _specific_focus(q: Question) -> set[str]:
    """The counted thing's words when it is specific ("women"), empty when generic ("people", "times")."""
    head = q.focus[:1]  # "how many women died" counts women; the words after say which
    return {related for t in head if t not in GENERIC_COUNTS for related in family_of(t)}


def _counts_focus(q: Question, matched: set[str]) -> bool:
    specific = _specific_focus(q)
    return not specific or bool(specific & matched)


def _focus_family(q: Question) -> set[str]:
    return {related for t in q.focus for related in family_of(t)}


def _distance(candidate: tuple[int, int], anchors: list[int], kind: str) -> float:
    if not anchors:
        return 0.0
    start, end = candidate
    # A count usually comes right before what it counts ("two survivors"), so after-anchor costs more.
    return min(a - end if a >= end else (start - a) * (1.5 if kind == "quantity" else 1.0) for a in anchors)


def _is_year(text: str) -> bool:
    return text.isdigit() and len(text) == 4 and 1500 <= int(text) <= 2100


def _disagreement(q: Question, passages: tuple[Passage, ...], weights: dict[str, float]) -> tuple[Disagreement, ...]:
    """Different values for the question's focus stated by passages from different documents."""
    concepts = [family_of(t) for t in dict.fromkeys(q.terms)]
    concept_weight = [max((weights[t] for t in fam if t in weights), default=0.0) for fam in concepts]
    values: dict[str, list[int]] = {}
    documents: dict[str, set[str]] = {}
    specific = _specific_focus(q)
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
    for start, end in passage.sentences:
        inside = [(t, s) for t, s, e in passage.terms if start <= s < end]
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
            distance = _distance((s, e), anchors, "quantity")
            if value is None or _is_year(text[s:e]) or distance > 40:
                continue
            key = (strength - distance / 100, -s)
            if best is None or key > best[0]:
                best = (key, typed.format_number(value))
    return best[1] if best else None


def to_json(result: AskResult, took_ms: float | None = None) -> dict:
    """The /api/ask response body (DESIGN.md)."""
    answer = None
    if result.answer is not None:
        a = result.answer
        answer = {"text": a.text, "highlight": {"start": a.highlight[0], "end": a.highlight[1]} if a.highlight else None,
                  "passage": a.passage, "confidence": a.confidence}
    body = {"question": result.question, "query": result.query, "answer": answer,
            "disagreement": [{"value": d.value, "passages": list(d.passages)} for d in result.disagreement],
            "passages": [passage_json(p.hit, p.highlights) for p in result.passages]}
    if took_ms is not None:
        body["took_ms"] = took_ms
    return body


def passage_json(hit: Hit, highlights, title: str | None = None) -> dict:
    p = hit.paragraph
    return {"text": p.text, "score": hit.score, "document": p.document_id, "title": title, "paragraph": p.number,
            "heading": p.heading, "start": p.start, "end": p.end, "highlights": [list(h) for h in highlights],
            "url": f"/documents/{p.document_id}#p{p.number}"}
