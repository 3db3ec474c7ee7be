"""Question -> passages -> the answer sentence, its marked span, disagreement and confidence.

Lexical and explainable: every answer is one sentence quoted verbatim from a returned passage;
every offset points into the text it came with. No Flask here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from index.lexical.search import DEFAULT_K
from index.searchable import Searchable
from index.analysis import analyze

from .answer_sentence import Answer, best_sentence
from .conversation import Context, answer_antecedents, context_for, focus_weights, speaking_pronoun
from .disagreement import Disagreement, find_disagreement, subject_terms
from .figures import off_measure
from .parameters import parameter
from .passages import Passage, find_passages, term_weights
from .questions import OPEN_VERBS, asks_how_many, describe_query
from .speakers import SpeakerCache, asked_person, asks_who_said, reports_speech, same_person
from .thread import Thread, bucket, gives_reason, thread_of

DEFAULT_TOP_K, MAX_TOP_K = DEFAULT_K, 50  # passages returned: by default (a search's), and at most
ANSWER_THRESHOLD = 0.3  # below this confidence the answer is null (DOCQA_ANSWER_THRESHOLD's default)
REASON_REACH = 2  # "Why?" looks this many sentences on from the last answer for the reason
OPEN_TERMS = frozenset(analyze(OPEN_VERBS))


@dataclass(frozen=True)
class AskResult:
    question: str
    query: str
    read_as: str  # the question as understood, in words (the question itself when it does not lean on the history)
    answer: Answer | None
    disagreement: tuple[Disagreement, ...]
    passages: tuple[Passage, ...]
    message: str | None = None  # why there is no answer, when it is more than "nothing answers this"

    def disagreement_notes(self) -> list[str]:
        """One line per value: where it is stated, in how many documents, and what revised it."""
        notes = []
        for d in self.disagreement:
            where = ", ".join(f"[{i + 1}] {self.passages[i].hit.paragraph.document_id} ¶{self.passages[i].hit.paragraph.number}"
                              for i in d.passages)
            sources = f" (stated in {len(d.documents)} documents)" if len(d.documents) > 1 else ""
            revised = f"; revised from {d.value} to {d.superseded_by}" if d.superseded_by else ""
            notes.append(f"{d.value}{' ' + d.measure if d.measure else ''} in {where}{sources}{revised}")
        return notes


NO_REASON = {"why": "The documents give no reason for that.", "how": "The documents don't say how."}


def answer_question(index: Searchable, question: str, top_k: int = DEFAULT_TOP_K, history=(), threshold: float = ANSWER_THRESHOLD,
                    documents: frozenset[str] | None = None) -> AskResult:
    """Search, then pick the answer sentence and span; `answer` is None below `threshold` confidence.

    With history, the conversation's context steers search (focus, resolved pronouns) and the answer
    (near the last one; a short follow-up is answered from it; an answer just given is not given again).
    `documents` limits the answer to those documents."""
    context = context_for(question, history, index, documents)
    speakers = SpeakerCache(index)
    q, hits, passages = find_passages(index, question, top_k, history, context, documents, speakers)
    resolved = " ".join(f"{r.word}→{r.name}" for r in context.resolutions) if context else ""
    result = dict(question=question, query=" ".join(filter(None, (resolved, describe_query(q.search)))),
                  read_as=context.reading.text if context else question.strip())
    if not hits:
        return AskResult(**result, answer=None, disagreement=(), passages=passages)
    weights = term_weights(index, q)
    thread = thread_of(context.turns, index) if context is not None else None
    # the context of a bare follow-up ("Why?", "What happened next?"): no name put back, no words of its own
    bare = context if context is not None and not context.resolutions and not q.terms else None
    if bare is not None and bare.ellipsis in NO_REASON:
        answer = reason_sentence(thread, passages, bare.ellipsis)
        if answer is None:
            return AskResult(**result, answer=None, disagreement=(), passages=passages,
                             message=NO_REASON[bare.ellipsis])
    else:
        answer = follow_on_sentence(bare, passages) if bare is not None and bare.ellipsis == "next" else None
        if answer is None:
            # a question that leans on nothing is answered as if asked alone: no thread, nothing held back
            leaning = context if context is not None and context.reading.leans else None
            leans = leaning is not None
            restated = leaning is not None and any(set(analyze(t.question)) == set(q.terms) for t in leaning.turns)
            penalty = focus_weights()["repeat_open" if asks_for_more(q) else "repeat"]
            prior = thread_prior(thread) if thread is not None and leans else None
            last = (thread.text, thread.span, frozenset(analyze(thread.question))) \
                if thread is not None and leans and not restated else None
            asked = asked_person(result["read_as"], [p.hit.paragraph for p in passages], speakers)
            spoken, others = spoken_by(asked, passages, speakers) if asked else (None, frozenset())
            if asks_how_many(q.text):
                others |= off_measure(q.text, {(pi, s): p.hit.paragraph.text[s:e] for pi, p in enumerate(passages)
                                               for s, e in p.sentences})
            answer = best_sentence(q, passages, weights, leaning.given if leaning is not None and not restated else frozenset(),
                                   penalty, tuple(r.name for r in context.resolutions) if context else (), prior, last,
                                   spoken, others)
            if answer is None and asked:
                return AskResult(**result, answer=None, disagreement=(), passages=passages,
                                 message=f"The documents don't quote {asked}.")
    disagreement = find_disagreement(q, passages, weights, documents_about(index, q, weights, passages)) \
        if q.kind == "quantity" else ()
    if answer is not None and answer.confidence < threshold:
        answer, disagreement = None, ()
    if answer is not None:
        answer = with_speaker(with_antecedents(answer, passages[answer.passage], index, q), passages[answer.passage],
                              speakers, q)
    return AskResult(**result, answer=answer, disagreement=disagreement, passages=passages)


def documents_about(index: Searchable, q, weights: dict[str, float], passages: tuple[Passage, ...]):
    """The passages' documents that hold one of the question's words besides what it counts (disagreement
    compares figures of the same event), or None when the question has none."""
    terms = subject_terms(q, weights)
    if not terms:
        return None
    documents = frozenset(p.hit.paragraph.document_id for p in passages)
    return frozenset(h.paragraph.document_id for h in index.search_terms(dict.fromkeys(terms, 1.0), 50, only=documents))


def spoken_by(name: str, passages: tuple[Passage, ...], speakers: SpeakerCache):
    """The (passage, sentence) numbers `name` speaks, each with the terms of the name; and (passage,
    sentence start) of the sentences that may not answer: those someone else speaks, and when `name`
    speaks any, all the others (their own words over a sentence that only mentions them)."""
    terms = frozenset(analyze(name))
    own, others = {}, set()
    for pi, passage in enumerate(passages):
        p = passage.hit.paragraph
        for si, speaker in enumerate(speakers.sentences(p.document_id, p.number)):
            if speaker is not None and same_person(speaker.name, name):
                own[(pi, si)] = terms
            else:
                others.add((pi, passage.sentences[si][0], speaker is not None))
    return own, frozenset((pi, start) for pi, start, spoken in others if spoken or own)


def with_speaker(answer: Answer, passage: Passage, speakers: SpeakerCache, q) -> Answer:
    """The answer with who speaks in it, when it reports speech (where the name is written in the
    document: for a pronoun, its antecedent); for "Who said ...?" the speaker is the answer span."""
    p = passage.hit.paragraph
    if not reports_speech(answer.text) and not any(mark in p.text for mark in "“\""):
        return answer  # no verb of saying, no quotation: no speaker to find (the common case, kept cheap)
    sentence = passage.sentences.index((answer.start, answer.start + len(answer.text)))
    speaker = speakers.sentences(p.document_id, p.number)[sentence]
    if speaker is None:
        return answer
    paragraphs = speakers.sentences_paragraphs(p.document_id)
    number = next((x.number for x in paragraphs if speaker.start < x.end), p.number)
    found = {"name": speaker.name, "document": p.document_id, "paragraph": number, "start": speaker.start,
             "end": speaker.end}
    highlight = answer.highlight
    if asks_who_said(q.text) and speaker.mention[1] <= len(answer.text):
        highlight = speaker.mention
    return replace(answer, speaker=found, highlight=highlight)


def thread_prior(thread: Thread):
    """A sentence's bonus for where it stands from the last answer (the conversation model's weights)."""
    weights = focus_weights()

    def prior(passage: Passage, sentence: int) -> float:
        p = passage.hit.paragraph
        where = bucket(thread, p.document_id, p.number, sentence, len(passage.sentences))
        return weights[f"thread_{where}"] if where else 0.0
    return prior


def reason_sentence(thread: Thread | None, passages: tuple[Passage, ...], kind: str) -> Answer | None:
    """For "Why?" / "How?": the reason or means tied to the last answer: in its own sentence (the clause
    from "because" on marked), or in one of the next sentences of its paragraph or the next; None when
    the documents give none there (never an unrelated sentence)."""
    if thread is None:
        return None
    ordered = sorted((p for p in passages if p.hit.paragraph.document_id == thread.document
                      and thread.paragraph <= p.hit.paragraph.number <= thread.paragraph + 1),
                     key=lambda p: p.hit.paragraph.number)
    for passage in ordered:
        text = passage.hit.paragraph.text
        for n, (start, end) in enumerate(passage.sentences):
            own = passage.hit.paragraph.number == thread.paragraph
            if own and n < thread.sentence or (not own and n > REASON_REACH):
                continue
            if own and n > thread.sentence + REASON_REACH:
                break
            sentence = text[start:end]
            found = gives_reason(sentence, kind)
            if found is None:
                continue
            highlight = (found.start(), len(sentence.rstrip(" .!?\"”’"))) if own and n == thread.sentence else None
            return Answer(sentence, highlight, passages.index(passage), parameter("follow_on_confidence"), start)
    return None


def asks_for_more(q) -> bool:
    """'What did she say?', 'What else did he do?': no words of its own but open verbs, so an answer
    already given is not what is wanted."""
    return set(q.terms) <= OPEN_TERMS


def with_antecedents(answer: Answer, passage: Passage, index, q) -> Answer:
    """The answer with who its leading pronoun is ("He said ..." -> Boris Johnson), found in its document.
    When a who-question asks for the pronoun's deed ("Who said ...?" and "He said ..."), the pronoun is
    the answer span."""
    if speaking_pronoun(answer.text) is None:  # most answers: the document's text is not read
        return answer
    paragraph = passage.hit.paragraph
    text = index.document(paragraph.document_id).text
    found = answer_antecedents(answer.text, text, paragraph.start + answer.start)
    if not found:
        return answer
    paragraphs = index.document_paragraphs(paragraph.document_id)
    # the paragraph holding the name, or (a name in a heading) the one the heading labels
    resolved = tuple({**r, "document": paragraph.document_id,
                      "paragraph": next((p.number for p in paragraphs if r["doc_start"] < p.end), paragraph.number)}
                     for r in found)
    highlight = answer.highlight
    if q.kind == "who" and (highlight is None or _asks_deed_of(q.text, answer.text[found[0]["end"]:])):
        highlight = (found[0]["start"], found[0]["end"])
    return replace(answer, resolved=resolved, highlight=highlight)


def _asks_deed_of(question: str, after_pronoun: str) -> bool:
    """'Who said ...?' and the pronoun is followed by 'said': the question's verb is the pronoun's."""
    asked = analyze(re.sub(r"^\W*who\b", "", question, flags=re.I))
    done = analyze(after_pronoun[:40])
    return bool(asked and done and asked[0] == done[0])


def follow_on_sentence(context: Context, passages: tuple[Passage, ...]) -> Answer | None:
    """For "What happened next?": the sentence after the last answer, never one already given."""
    last = next((t for t in reversed(context.turns) if t.answer and t.citations), None)
    if last is None or last.answer is None:
        return None
    doc, number = last.citations[0]
    ordered = sorted((p for p in passages if p.hit.paragraph.document_id == doc
                      and number <= p.hit.paragraph.number <= number + 1), key=lambda p: p.hit.paragraph.number)
    sentences = []
    for passage in ordered:
        text = passage.hit.paragraph.text
        sentences += [(passage, s, text[s:e]) for s, e in passage.sentences]
    after = next((i + 1 for i, (_, _, s) in enumerate(sentences) if s.strip() == last.answer.strip()), 0)
    fresh = [c for c in sentences[after:] if c[2].strip() not in context.given]
    if not fresh:
        return None
    passage, start, text = fresh[0]
    return Answer(text, None, passages.index(passage), parameter("follow_on_confidence"), start)
