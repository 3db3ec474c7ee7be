"""What a conversation is about: the paragraphs earlier answers came from, the people they named, and
what a short follow-up ("Why?", "What else?", "What did she say?") leaves unsaid.

A `Context` is made once per question from the history the client sends. Each turn may carry the
citations the client was shown (`{"document", "paragraph"}`, the answer's first); for a turn without
them the answer's paragraph is found again by searching its sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from index.analysis import analyze
from index.errors import DocumentNotFoundError
from index.linear_model import load_model, model_path

from .parameters import count
from .reading import Reading, read_question
from .references import antecedent, names_in, people

MAX_HISTORY_TURNS = 20  # turns a client may send (the API's limit; `docqa chat` keeps as many)
# Bounds on what a history makes the service read (the largest valid history stays well under a second)
TURN_TEXT_CHARS = 2000    # of each turn's question and answer, what is read
READ_TURNS = 4            # the recent turns a question's references are looked for in
CONTEXT_HEAD_CHARS = 5000  # of a focus document, its beginning and ...
CONTEXT_CHARS = 20_000     # ... the text around its focus paragraph: where genders and role holders are judged
ANTECEDENT_WINDOW = 20_000  # characters before an answer sentence where its pronoun's antecedent is looked for
# a hit's score is multiplied by 1 + document + paragraph when in a focus document / at or next to a focus
# paragraph; a sentence already given loses `repeat` from its score (a preference for a new answer), or
# `repeat_open` when the question's own words are only open verbs ("What did she say?")
FOCUS_FEATURES = ("document", "paragraph", "repeat", "repeat_open",
                  # a sentence's bonus by where it stands from the last answer (service/qa/thread.py)
                  "thread_same", "thread_next", "thread_after", "thread_before", "thread_far")
FOCUS_FILE = "conversation-v2.json"
@cache
def focus_weights() -> dict[str, float]:
    """The conversation weights (models/conversation-v2.json, tuned with `docqa eval conversation` on
    even SQuAD articles)."""
    m = load_model(model_path("service.qa", FOCUS_FILE), FOCUS_FEATURES, non_negative=True)
    return dict(zip(m.features, m.weights.tolist()))


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str | None
    citations: tuple[tuple[str, int], ...] = ()  # (document id, paragraph number); the answer's first


@dataclass(frozen=True)
class Context:
    turns: tuple[Turn, ...]
    focus: tuple[tuple[str, int], ...]  # answer paragraphs of recent turns, newest first
    given: frozenset[str]               # answer sentences already given
    reading: Reading                    # how the question is read in this conversation

    @property
    def resolutions(self):
        return self.reading.resolutions

    @property
    def ellipsis(self) -> str | None:
        return self.reading.ellipsis

    @property
    def documents(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(doc for doc, _ in self.focus))


def turns_from(history, index, documents: frozenset[str] | None = None) -> tuple[Turn, ...]:
    """History items as Turns, each with its answer's paragraph (sent by the client, else found again by
    a search of `documents`, for the recent turns that make the focus only: one search per turn is not free)."""
    turns = []
    recent = len(history) - count("focus_turns")
    for n, item in enumerate(history):
        citations = tuple((c["document"], c["paragraph"]) for c in item.get("citations") or ())
        answer = item.get("answer")
        if not citations and answer and n >= recent:
            citations = _locate(answer, index, documents)
        turns.append(Turn(item.get("question", ""), answer, citations))
    return tuple(turns)


def _locate(answer: str, index, documents: frozenset[str] | None) -> tuple[tuple[str, int], ...]:
    terms = analyze(answer[:TURN_TEXT_CHARS])
    if not terms:
        return ()
    for hit in index.search_terms(dict.fromkeys(terms, 1.0), 3, only=documents):
        if answer.strip() in hit.paragraph.text:
            return ((hit.paragraph.document_id, hit.paragraph.number),)
    return ()


def context_for(question: str, history, index, documents: frozenset[str] | None = None) -> Context | None:
    """The conversation's context for `question`, None without history; `documents` is the request's scope."""
    if not history:
        return None
    turns = turns_from(history, index, documents)
    focus = tuple(dict.fromkeys(t.citations[0] for t in reversed(turns[-count("focus_turns"):]) if t.citations))
    given = frozenset(t.answer.strip() for t in turns if t.answer)
    short = tuple(Turn(t.question[:TURN_TEXT_CHARS], (t.answer or "")[:TURN_TEXT_CHARS] or None, t.citations)
                  for t in turns[-READ_TURNS:])
    answered_by = [name for turn in reversed(turns[-2:]) for name in _antecedents_of(turn, index)]
    reading = read_question(question, short, focus_text(focus, index), focus_titles(focus, index), answered_by)
    return Context(turns, focus, given, reading)


def focus_titles(focus, index) -> list[str]:
    titles = []
    for doc in dict.fromkeys(d for d, _ in focus):
        try:
            titles.append(index.info(doc).title)
        except DocumentNotFoundError:
            continue
    return titles


def focus_text(focus, index) -> str:
    """Where genders and role holders are judged: of each focus document, its beginning (where people are
    usually introduced) and the text around its newest focus paragraph, so the work is bounded whatever
    the documents' size."""
    texts = []
    for doc, number in dict(reversed(focus)).items():  # the newest focus paragraph of each document
        try:
            text = index.document(doc).text
        except DocumentNotFoundError:  # deleted since the turn
            continue
        try:
            at = index.document_paragraph(doc, number).start
        except (DocumentNotFoundError, IndexError):
            at = 0
        low = max(CONTEXT_HEAD_CHARS, at - CONTEXT_CHARS // 2)
        texts.append(text[:CONTEXT_HEAD_CHARS] + ("\n\n" + text[low:at + CONTEXT_CHARS // 2] if low < len(text) else ""))
    return "\n\n".join(texts)


def _antecedents_of(turn: Turn, index) -> list[str]:
    """Who a pronoun leading the turn's answer was ("He said ..." -> Boris Johnson), found again in its document."""
    if not turn.answer or not turn.citations:
        return []
    doc, number = turn.citations[0]
    try:
        paragraph = index.document_paragraph(doc, number)
        text = index.document(doc).text
    except (DocumentNotFoundError, IndexError):
        return []
    offset = paragraph.text.find(turn.answer.strip())
    if offset < 0:
        return []
    return [r["refers_to"] for r in answer_antecedents(turn.answer.strip(), text, paragraph.start + offset)]


def speaking_pronoun(sentence: str):
    """The match of a pronoun leading a sentence ('He said ...') or saying it ('..., she said'), or None."""
    return re.match(r"\s*(He|She|His|Her)\b", sentence) or re.search(
        r"[,”\"]\s*(he|she)\s+(?:said|says|added|told|warned|argued|explained|insisted|claimed)\b", sentence)


def answer_antecedents(sentence: str, document_text: str, sentence_start: int) -> list[dict]:
    """Who a pronoun at the head of an answer sentence ('He said ...', '..., she said') is: the name in
    the document before it, with offsets of both (the pronoun's in the sentence, the name's in the document)."""
    m = speaking_pronoun(sentence)
    if m is None:
        return []
    low = max(0, sentence_start - ANTECEDENT_WINDOW)
    window = document_text[low:sentence_start + len(sentence)]  # the name is looked for, and judged, in here
    prefix = sentence[:m.start(1)]
    if people([n for n in names_in(prefix) if not n.quoted], window, prefix):
        return []  # the sentence names its subject before the pronoun
    found = antecedent(m.group(1), window, sentence_start - low)
    if found is None:
        return []
    return [{"text": m.group(1), "refers_to": found.name, "start": m.start(1), "end": m.end(1),
             "doc_start": low + found.start, "doc_end": low + found.end}]
