"""The answer sentence: a linear model over sentence features picks one sentence of the top passages."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Callable

from index.analysis import analyze
from index.lexical.bm25 import Bm25Params, average_length, saturation
from index.linear_model import LinearModel, load_model, model_path
from index.rerank import ranking

from .answer_span import answer_span
from .parameters import count, parameters
from .passages import Passage
from .questions import Question, family_of

# A sentence's score is features . weights (linear, so each answer can be explained feature by feature).
# The weights are fitted by `docqa eval fit-answers` on SQuAD's even articles into models/sentence-v2.json.
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
    "speaker",         # "What did X say?" and X is the sentence's speaker (service/qa/speakers.py)
)
# SQuAD has no follow-ups to learn the weight of history words from: set by hand, about a third of the
# weight the question's own words get through local_idf and local_bm25.
# Nor has it speech questions enough for `speaker`: set by hand so that the asked person's own words outrank
# a sentence that only mentions them (the other features' weights are a few units each).
HAND_SET_FEATURES = ("context", "speaker")  # their weights are kept in the model file as they are, never refitted
MODEL_FILE = "sentence-v2.json"
_SPAN_KINDS = ("quantity", "when", "who", "where")
_PRONOUN_START = re.compile(r"(?:he|she|it|they|this|these|its|his|her|their)\b", re.I)
SENTENCE_BM25 = Bm25Params()  # local_bm25: a sentence's BM25 among the candidates' sentences


@cache
def model() -> LinearModel:
    """The fitted sentence weights (service/qa/models/sentence-v2.json)."""
    return load_model(model_path("service.qa", MODEL_FILE), SENTENCE_FEATURES)


@dataclass(frozen=True)
class Answer:
    text: str
    highlight: tuple[int, int] | None
    passage: int
    confidence: float
    start: int  # offset of the sentence inside its passage
    resolved: tuple[dict, ...] = ()  # who a leading pronoun is: text, refers_to, start, end, document, paragraph,
    #                                  doc_start, doc_end
    speaker: dict | None = None      # who speaks, when the sentence reports speech: name, document, paragraph,
    #                                  start, end (where the name is written in the document)



def best_sentence(q: Question, passages: tuple[Passage, ...], weights: dict[str, float],
                  given: frozenset[str] = frozenset(), repeat_penalty: float = 0.0, known: tuple[str, ...] = (),
                  prior: Callable[[Passage, int], float] | None = None,
                  last: tuple[str, str | None, frozenset[str]] | None = None,
                  spoken: dict[tuple[int, int], frozenset[str]] | None = None,
                  others: frozenset[tuple[int, int]] | None = None) -> Answer | None:
    """The best-scoring candidate sentence. One in `given` (answers already given) loses `repeat_penalty`
    unless it may hold a new answer span ("When did he ...?" answered by a date in the same sentence); a
    span that is a `known` name (whom the question's pronoun stands for) is not new. The caller sets the
    penalty by what the question asks (SQuAD's follow-ups are often answered by the same sentence;
    "What did she say?" asks for more). `prior(passage, sentence number)` adds where a sentence stands
    from the last answer; `last` (the last answer sentence, the span it marked, its question's terms) is
    never given again unless another span is marked in it or the question asks it something new; `spoken`
    maps the (passage, sentence) numbers the asked person speaks to the terms of their name, and `others`
    holds (passage, sentence start) of sentences that may not answer: another's words for "What did X
    say?", figures of another measure for "How many ...?"."""
    weighted = list(zip(model().features, model().weights.tolist()))
    best = None
    for features, answer in sentence_candidates(q, passages, weights, spoken or {}):
        if (answer.passage, answer.start) in (others or ()):
            continue  # someone else's words, or another measure's figures
        if last is not None and answer.text.strip() == last[0] and not _other_span(answer, last[1]) \
                and not (set(q.terms) - last[2]) & set(analyze(answer.text)):
            continue  # the sentence just given, again, with nothing new asked of it
        score = sum(w * features[name] for name, w in weighted)
        if given and answer.text.strip() in given and not _new_span(answer, q.kind, known):
            score -= repeat_penalty
        if prior is not None:
            passage = passages[answer.passage]
            score += prior(passage, passage.sentences.index((answer.start, answer.start + len(answer.text))))
        if best is None or score > best[0]:
            best = (score, answer)
    return best[1] if best else None


def _other_span(answer: Answer, before: str | None) -> bool:
    """Whether the answer marks a span, and not the one the same sentence marked before."""
    return answer.highlight is not None and answer.text[answer.highlight[0]:answer.highlight[1]] != before


def _new_span(answer: Answer, kind: str, known: tuple[str, ...]) -> bool:
    """Whether a sentence already given may answer again: a typed question (who/when/where/how many)
    may have its answer elsewhere in it, unless the span found is the name the question is about."""
    if kind == "other":
        return False
    if answer.highlight is None:
        return True
    span = answer.text[answer.highlight[0]:answer.highlight[1]]
    return not any(span in name or name in span for name in known)


def sentence_candidates(q: Question, passages: tuple[Passage, ...], weights: dict[str, float],
                        spoken: dict[tuple[int, int], frozenset[str]] | None = None):
    """(features by name, answer) for every sentence of the top passages that matches a searched word, or
    that the asked person speaks (`spoken`: (passage, sentence) numbers -> their name's terms)."""
    spoken = spoken or {}
    # the question's own words; a follow-up with none ("When?") is judged on the words it searched
    own = {t: weights[t] for t in dict.fromkeys(q.terms) if t in weights} or dict(weights)
    total = sum(own.values()) or 1.0
    searched_total = sum(weights.values()) or 1.0
    top_score = max(p.hit.score for p in passages) or 1.0  # passages may come reordered (focus, speakers)
    pairs = set(zip(q.terms, q.terms[1:]))
    # sentence-level idf over the candidate passages: a word in every sentence there tells them apart poorly
    candidates = passages[:count("answer_passages")]
    units = [{t for t, _ in terms} for p in candidates for terms in p.sentence_terms]
    sentence_idf = {t: math.log(1 + len(units) / (1 + sum(t in u for u in units))) for t in own}
    local = {t: w * sentence_idf[t] for t, w in own.items()}
    idf_total, local_total = sum(sentence_idf.values()) or 1.0, sum(local.values()) or 1.0
    average = average_length(sum(len(u) for u in units), len(units))
    prefix = ranking().near_miss_prefix
    for pi, passage in enumerate(candidates):
        hit, text = passage.hit, passage.hit.paragraph.text
        passage_cover = _own_cover(own, set(hit.matched_terms)) / total
        previous = 0.0
        for si, ((start, end), every) in enumerate(zip(passage.sentences, passage.sentence_terms)):
            inside = [(t, s) for t, s in every if t in weights]
            matched = {t for t, _ in inside} | (spoken.get((pi, si), frozenset()) & weights.keys())  # the speaker: named
            local_idf = sum(v for t, v in sentence_idf.items() if t in matched) / idf_total
            before, previous = previous, local_idf
            if not matched and (pi, si) not in spoken:
                continue
            sentence = text[start:end]
            span = answer_span(q, sentence, [(t, s - start) for t, s in inside])
            positions = sorted(s for _, s in inside)
            spread = (positions[-1] - positions[0]) / max(len(sentence), 1) if len(positions) > 1 else 1.0
            adjacent = sum(1 for x, y in zip(every, every[1:]) if (x[0], y[0]) in pairs)
            words = {t for t, _ in every}
            near_miss = sum(v for t, v in local.items() if t not in matched and len(t) >= prefix
                            and any(w[:prefix] == t[:prefix] for w in words))
            norm = SENTENCE_BM25.length_norm(len(every), max(average, 1.0))
            tf = Counter(t for t, _ in inside if t in local)
            features = {"context": sum(weights[t] for t in matched if t not in own) / searched_total,
                        "passage": hit.score / top_score,
                        "proximity": (1 - spread) * (len(matched) > 1),
                        "first_sentence": float(si == 0),
                        "pairs": min(adjacent, len(pairs)) / max(len(pairs), 1),
                        "log_length": math.log(1 + len(every)),
                        "passage_cover": passage_cover,
                        **{f"span_{kind}": float(span is not None and q.kind == kind) for kind in _SPAN_KINDS},
                        "pronoun_before": before if _PRONOUN_START.match(sentence) else 0.0,
                        "local_idf": local_idf,
                        "near_miss": near_miss / local_total,
                        "local_bm25": sum(local[t] * (SENTENCE_BM25.k1 + 1) * saturation(n, norm)
                                      for t, n in tf.items()) / local_total,
                        "speaker": float((pi, si) in spoken)}
            confidence = _confidence(_own_cover(own, matched) / total, passage_cover, hit.score, searched_total)
            yield features, Answer(sentence, span, pi, confidence, start)


def _own_cover(own: dict[str, float], matched: set[str]) -> float:
    """idf weight of the question's terms that matched, directly or through a related word ("dead" for "died")."""
    return sum(w for t, w in own.items() if t in matched or matched.intersection(family_of(t)))


def _confidence(sentence_cover: float, passage_cover: float, score: float, max_score: float) -> float:
    """Share of the question's idf weight the answer matches, scaled by the passage's normalised BM25.

    A sentence that matches one word of four cannot be confident however well its passage scores."""
    p = parameters()
    normalised = min(1.0, score / max_score / p["full_match_share"])
    cover = p["sentence_cover_weight"] * sentence_cover + p["passage_cover_weight"] * passage_cover
    return round(cover * (p["score_floor"] + (1 - p["score_floor"]) * normalised), 3)

