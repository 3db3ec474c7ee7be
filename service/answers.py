"""Question -> passages -> the answer sentence, its marked span, disagreement and confidence.

Lexical and explainable: every answer is one sentence quoted verbatim from a returned passage;
every offset points into the text it came with. No Flask here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from index import SearchIndex, analyze_spans
from index.engine import Hit
from index.errors import EmptyQueryError
from index.sentences import sentence_spans

from . import spans as typed
from .questions import Question, describe_query, family_of, parse_question

ANSWER_PASSAGES = 5          # sentences are looked for in this many top passages
PASSAGE_PRIOR = 0.25         # weight of the passage's BM25 rank in a sentence's score
TYPE_BONUS = 0.15            # the sentence holds the kind of thing asked for (a number for "how many")
PROXIMITY_BONUS = 0.1        # matched words close together


@dataclass(frozen=True)
class Passage:
    hit: Hit
    highlights: tuple[tuple[int, int], ...]


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
    query_terms: tuple[str, ...]
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
    passages = tuple(Passage(h, tuple((s, e) for t, s, e in analyze_spans(h.paragraph.text) if t in q.search))
                     for h in hits)
    return q, hits, passages


def answer_question(index: SearchIndex, question: str, top_k: int = 5, history=(), threshold: float = 0.3) -> AskResult:
    """Search, then pick the answer sentence and span; `answer` is None below `threshold` confidence."""
    q, hits, passages = find_passages(index, question, top_k, history)
    result = dict(question=question, query=describe_query(q.search), query_terms=tuple(q.search))
    if not hits:
        return AskResult(**result, answer=None, disagreement=(), passages=passages)
    weights = _term_weights(index, q)
    answer = _best_sentence(q, hits, weights)
    disagreement = _disagreement(q, hits, weights) if q.kind == "quantity" else ()
    if answer is not None and answer.confidence < threshold:
        answer, disagreement = None, ()
    return AskResult(**result, answer=answer, disagreement=disagreement, passages=passages)


def _term_weights(index: SearchIndex, q: Question) -> dict[str, float]:
    """idf x search weight per searched term; terms unknown to the index count as rarest."""
    terms = list(q.search)
    idf = index.idf(terms)
    rarest = math.log(1 + (index.num_paragraphs + 0.5) / 0.5)
    return {t: (float(i) if i > 0 else rarest) * q.search[t] for t, i in zip(terms, idf)}


def _best_sentence(q: Question, hits: list[Hit], weights: dict[str, float]) -> Answer | None:
    own = {t: weights[t] for t in dict.fromkeys(q.terms)}
    total = sum(own.values()) or 1.0
    searched_total = sum(weights.values()) or 1.0
    top_score = hits[0].score or 1.0
    best = None
    for pi, hit in enumerate(hits[:ANSWER_PASSAGES]):
        text = hit.paragraph.text
        term_spans = analyze_spans(text)
        passage_cover = sum(w for t, w in own.items() if t in hit.matched_terms) / total
        for start, end in sentence_spans(text):
            inside = [(t, s) for t, s, e in term_spans if start <= s < end and t in weights]
            matched = {t for t, _ in inside}
            if not matched:
                continue
            cover = sum(weights[t] for t in matched) / searched_total
            sentence = text[start:end]
            span = _answer_span(q, sentence, [(t, s - start) for t, s in inside])
            positions = sorted(s for _, s in inside)
            window = (positions[-1] - positions[0]) / max(len(sentence), 1) if len(positions) > 1 else 1.0
            score = (cover + PASSAGE_PRIOR * hit.score / top_score + (TYPE_BONUS if span else 0.0)
                     + PROXIMITY_BONUS * (1 - window) * (len(matched) > 1))
            if best is None or score > best[0]:
                own_cover = sum(w for t, w in own.items() if t in matched) / total
                confidence = _confidence(own_cover, passage_cover, hit.score, searched_total)
                best = (score, Answer(sentence, span, pi, confidence, start))
    return best[1] if best else None


def _confidence(sentence_cover: float, passage_cover: float, score: float, max_score: float) -> float:
    """Share of the question's idf weight matched (sentence and passage) blended with normalised BM25."""
    normalised = min(1.0, score / max_score / 0.6)  # a full match of tf=1 terms reaches ~0.6 of the maximum
    return round(0.35 * sentence_cover + 0.35 * passage_cover + 0.3 * normalised, 3)


def _answer_span(q: Question, sentence: str, matched: list[tuple[str, int]]) -> tuple[int, int] | None:
    """The answer inside the sentence for the question's type, or None when unsure."""
    finder = {"quantity": typed.numbers, "when": typed.dates, "who": typed.names, "where": typed.places}.get(q.kind)
    if finder is None:
        return None
    question_words = {w.lower().strip(".,?!'’\"") for w in q.text.split()}
    candidates = [(s, e) for s, e in finder(sentence)
                  if not {w.lower().strip(".,?!'’\"") for w in sentence[s:e].split()} <= question_words]
    if q.kind == "quantity":
        question_values = {typed.parse_number(q.text[s:e]) for s, e in typed.numbers(q.text)}
        candidates = [(s, e) for s, e in candidates if typed.parse_number(sentence[s:e]) not in question_values]
    if not candidates:
        return None
    anchors = [s for t, s in matched if q.kind != "quantity" or t in _focus_family(q)] or [s for _, s in matched]
    return min(candidates, key=lambda c: (_distance(c, anchors, q.kind), _is_year(sentence[c[0]:c[1]]), c[0]))


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


def _disagreement(q: Question, hits: list[Hit], weights: dict[str, float]) -> tuple[Disagreement, ...]:
    """Different values for the question's focus stated by passages from different documents."""
    concepts = [family_of(t) for t in dict.fromkeys(q.terms)]
    concept_weight = [max((weights[t] for t in fam if t in weights), default=0.0) for fam in concepts]
    values: dict[str, list[int]] = {}
    documents: dict[str, set[str]] = {}
    for pi, hit in enumerate(hits):
        value = _stated_value(hit.paragraph.text, concepts, concept_weight)
        if value is not None:
            values.setdefault(value, []).append(pi)
            documents.setdefault(value, set()).add(hit.paragraph.document_id)
    if len(values) < 2 or len(set().union(*documents.values())) < 2:
        return ()
    ordered = sorted(values.items(), key=lambda kv: kv[1][0])
    return tuple(Disagreement(v, tuple(p)) for v, p in ordered)


def _stated_value(text: str, concepts: list[tuple[str, ...]], concept_weight: list[float]) -> str | None:
    """The number a passage gives for the question's focus: the number beside the best-matching words."""
    term_spans = analyze_spans(text)
    needed = 0.5 * sum(concept_weight)  # the sentence must be about most of what was asked
    best = None
    for start, end in sentence_spans(text):
        inside = [(t, s) for t, s, e in term_spans if start <= s < end]
        present = [i for i, fam in enumerate(concepts) if any(t in fam for t, _ in inside)]
        strength = sum(concept_weight[i] for i in present)
        if strength <= 0 or strength < needed:
            continue
        anchors = [s for t, s in inside if any(t in concepts[i] for i in present)]
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
