"""Question -> passages -> the answer sentence, its marked span, disagreement and confidence.

Lexical and explainable: every answer is one sentence quoted verbatim from a returned passage;
every offset points into the text it came with. No Flask here.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from index import SearchIndex, analyze_spans
from index.engine import Hit, lucene_idf
from index.errors import EmptyQueryError
from index.sentences import sentence_spans

from . import spans as typed
from .questions import Question, describe_query, family_of, parse_question

ANSWER_PASSAGES = 3  # sentences are looked for in this many top passages
# A sentence's score is features . weights (linear, so each answer can be explained feature by feature).
# The weights are fitted by `docqa eval fit-answers` on SQuAD's even articles (docs/EVALUATION.md).
SENTENCE_FEATURES = (
    "context",         # idf share of matched words from earlier turns and related words ("dead" for "died")
    "passage",         # the passage's score against the top passage's
    "proximity",       # matched words close together (1 - their spread over the sentence)
    "first_sentence",  # the passage's first sentence
    "pairs",           # share of the question's adjacent word pairs found adjacent here
    "log_length",      # log(1 + terms in the sentence)
    "passage_cover",   # idf share of the question's words found anywhere in the passage
    # holds the kind of thing asked for, one feature per question type: a number for "how many",
    # a date for "when", a name for "who", a place for "where"
    "span_quantity", "span_when", "span_who", "span_where",
    "pronoun_before",  # starts with he/she/it/they/this...: the previous sentence's local-idf share
    "local_idf",       # share of the question's words matched, weighted by sentence-level idf over the candidates
    "near_miss",       # question words missing here but present with the same first five letters
    "local_bm25",      # BM25 of the sentence among the candidates' sentences (idf x sentence-level idf)
)
# SQuAD has no follow-ups to learn the weight of history words from: set by hand, about a third of the
# weight the question's own words get through local_idf and local_bm25.
HAND_SET_WEIGHTS = {"context": 2.5}
SENTENCE_WEIGHTS = {
    "context": 2.5, "passage": 5.6791, "proximity": 0.1907, "first_sentence": -0.2408, "pairs": 0.291,
    "log_length": 0.1097, "passage_cover": 2.1027, "span_quantity": 2.4587, "span_when": 2.72, "span_who": 1.4292,
    "span_where": 1.2391, "pronoun_before": 1.9847, "local_idf": 4.3403, "near_miss": 4.5246, "local_bm25": 3.8361,
}
_WEIGHTS = tuple(SENTENCE_WEIGHTS[name] for name in SENTENCE_FEATURES)
_SPAN_KINDS = ("quantity", "when", "who", "where")
_PRONOUN_START = re.compile(r"(?:he|she|it|they|this|these|its|his|her|their)\b", re.I)


@dataclass(frozen=True)
class Passage:
    hit: Hit
    highlights: tuple[tuple[int, int], ...]   # offsets of the words that matched the question
    terms: tuple[tuple[str, int, int], ...]   # every analysed term of the paragraph, with offsets

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        return sentence_spans(self.hit.paragraph.text)

    @cached_property
    def sentence_terms(self) -> list[list[tuple[str, int]]]:
        """(term, offset) of the analysed terms inside each sentence, in one pass over the terms."""
        starts = [start for start, _ in self.sentences]
        grouped: list[list[tuple[str, int]]] = [[] for _ in starts]
        for term, start, _ in self.terms:
            i = bisect.bisect_right(starts, start) - 1
            if i >= 0 and start < self.sentences[i][1]:
                grouped[i].append((term, start))
        return grouped


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
        passages.append(Passage(h, _highlights(terms, q.search), terms))
    return q, hits, tuple(passages)


def _highlights(terms, search) -> tuple[tuple[int, int], ...]:
    """Offsets of the searched terms, without overlaps: a compound whose joined word matched ("IL-10")
    is marked whole, and its parts (spans inside it, listed right after it) are not marked again."""
    marks: list[tuple[int, int]] = []
    for term, start, end in terms:
        if term in search and (not marks or start >= marks[-1][1]):
            marks.append((start, end))
    return tuple(marks)


def answer_question(index: SearchIndex, question: str, top_k: int = 5, history=(), threshold: float = 0.3) -> AskResult:
    """Search, then pick the answer sentence and span; `answer` is None below `threshold` confidence."""
    q, hits, passages = find_passages(index, question, top_k, history)
    result = dict(question=question, query=describe_query(q.search))
    if not hits:
        return AskResult(**result, answer=None, disagreement=(), passages=passages)
    weights = term_weights(index, q)
    answer = _best_sentence(q, passages, weights)
    disagreement = _disagreement(q, passages, weights) if q.kind == "quantity" else ()
    if answer is not None and answer.confidence < threshold:
        answer, disagreement = None, ()
    return AskResult(**result, answer=answer, disagreement=disagreement, passages=passages)


def term_weights(index: SearchIndex, q: Question) -> dict[str, float]:
    """idf x search weight per searched term; terms unknown to the index count as rarest."""
    terms = list(q.search)
    idf = index.idf(terms)
    rarest = float(lucene_idf(0, index.num_paragraphs))
    return {t: (float(i) if i > 0 else rarest) * q.search[t] for t, i in zip(terms, idf)}


def _best_sentence(q: Question, passages: tuple[Passage, ...], weights: dict[str, float]) -> Answer | None:
    best = None
    for features, answer in sentence_candidates(q, passages, weights):
        score = sum(w * f for w, f in zip(_WEIGHTS, features))
        if best is None or score > best[0]:
            best = (score, answer)
    return best[1] if best else None


def sentence_candidates(q: Question, passages: tuple[Passage, ...], weights: dict[str, float]):
    """(features, answer) for every sentence of the top passages that matches a searched word."""
    own = {t: weights[t] for t in dict.fromkeys(q.terms)}
    total = sum(own.values()) or 1.0
    searched_total = sum(weights.values()) or 1.0
    top_score = passages[0].hit.score or 1.0
    pairs = set(zip(q.terms, q.terms[1:]))
    # sentence-level idf over the candidate passages: a word in every sentence there tells them apart poorly
    candidates = passages[:ANSWER_PASSAGES]
    units = [{t for t, _ in terms} for p in candidates for terms in p.sentence_terms]
    sentence_idf = {t: math.log(1 + len(units) / (1 + sum(t in u for u in units))) for t in own}
    local = {t: w * sentence_idf[t] for t, w in own.items()}
    idf_total, local_total = sum(sentence_idf.values()) or 1.0, sum(local.values()) or 1.0
    average_length = sum(len(u) for u in units) / max(len(units), 1)
    for pi, passage in enumerate(candidates):
        hit, text = passage.hit, passage.hit.paragraph.text
        passage_cover = _own_cover(own, set(hit.matched_terms)) / total
        previous = 0.0
        for si, ((start, end), every) in enumerate(zip(passage.sentences, passage.sentence_terms)):
            inside = [(t, s) for t, s in every if t in weights]
            matched = {t for t, _ in inside}
            local_idf = sum(v for t, v in sentence_idf.items() if t in matched) / idf_total
            before, previous = previous, local_idf
            if not matched:
                continue
            sentence = text[start:end]
            span = _answer_span(q, sentence, [(t, s - start) for t, s in inside])
            positions = sorted(s for _, s in inside)
            spread = (positions[-1] - positions[0]) / max(len(sentence), 1) if len(positions) > 1 else 1.0
            adjacent = sum(1 for x, y in zip(every, every[1:]) if (x[0], y[0]) in pairs)
            words = {t for t, _ in every}
            near_miss = sum(v for t, v in local.items() if t not in matched and len(t) >= 5
                            and any(w[:5] == t[:5] for w in words))
            norm = 1.2 * (0.25 + 0.75 * len(every) / max(average_length, 1.0))  # BM25's k1 1.2, b 0.75
            tf = Counter(t for t, _ in inside if t in local)
            features = (sum(weights[t] for t in matched if t not in own) / searched_total,
                        hit.score / top_score,
                        (1 - spread) * (len(matched) > 1),
                        float(si == 0),
                        min(adjacent, len(pairs)) / max(len(pairs), 1),
                        math.log(1 + len(every)),
                        passage_cover,
                        *(float(span is not None and q.kind == kind) for kind in _SPAN_KINDS),
                        before if _PRONOUN_START.match(sentence) else 0.0,
                        local_idf,
                        near_miss / local_total,
                        sum(local[t] * n * 2.2 / (n + norm) for t, n in tf.items()) / local_total)
            confidence = _confidence(_own_cover(own, matched) / total, passage_cover, hit.score, searched_total)
            yield features, Answer(sentence, span, pi, confidence, start)


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
        # "19 of 28 new drugs" counts 19, the part; but "one of four teams" counts four
        parts = {e for s, e in candidates if sentence[s:e].lower() not in ("one", "1")}
        candidates = [(s, e) for s, e in candidates
                      if not ((m := _OF_WHOLE.search(sentence, 0, s)) and m.end() == s and m.start() in parts)]
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


GENERIC_COUNTS = {"peopl", "person", "time", "number", "total", "amount", "year", "day"}


def _specific_focus(q: Question) -> set[str]:
    """The counted thing's words when it is specific ("women"), empty when generic ("people", "times")."""
    head = q.focus[:1]  # "how many women died" counts women; the words after say which
    return {related for t in head if t not in GENERIC_COUNTS for related in family_of(t)}


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
