"""Following the thread through the text: people ask follow-ups as they read, so the next answer is
usually near, and after, the last one. Where the last answer stands is a prior for the next answer
sentence; the reason for it ("Why?") is a sentence tied to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.errors import DocumentNotFoundError
from index.analysis.sentences import sentence_spans

from .answer_span import span_of

# Where a candidate sentence stands from the last answer's: the same sentence, the next one, two or
# three on, one to three back, farther in the same document, another document. Each has a weight in
# the conversation model (models/conversation-v2.json), fitted by `docqa eval fit-thread`.
BUCKETS = ("same", "next", "after", "before", "far")
# A sentence that gives a reason or a means: what "Why?" and "How?" are answered with.
REASON = re.compile(r"\b(?:because|since|as\s+a\s+result|due\s+to|owing\s+to|in\s+order\s+to|so\s+that|so\s+as\s+to|"
                    r"thanks\s+to|led\s+to|caused|the\s+reason|that\s+is\s+why|this\s+is\s+why|amid\s+concerns|"
                    r"for\s+fear|given\s+that)\b", re.I)
MEANS = re.compile(r"\b(?:by\s+\w+ing|through|using|with\s+the\s+help|via|in\s+order\s+to|by\s+means\s+of)\b", re.I)


@dataclass(frozen=True)
class Thread:
    """Where the last answer stands: its document, paragraph, sentence (and how many the paragraph has)."""

    document: str
    paragraph: int
    sentence: int
    sentences: int
    text: str           # the answer sentence as given
    span: str | None    # what it marked, worked out again from its question
    question: str


def thread_of(turns, index) -> Thread | None:
    """The last turn's answer located in its cited paragraph, or None (no answer, or not found there)."""
    last = turns[-1] if turns else None
    if last is None or not last.answer or not last.citations:
        return None
    document, number = last.citations[0]
    try:
        paragraph = index.document_paragraph(document, number)
    except (DocumentNotFoundError, IndexError):
        return None
    answer = last.answer.strip()
    at = paragraph.text.find(answer)
    if at < 0:
        return None
    spans = sentence_spans(paragraph.text)
    sentence = next((i for i, (s, e) in enumerate(spans) if s <= at < e), 0)
    return Thread(document, number, sentence, len(spans), answer, span_of(last.question, answer), last.question)


def bucket(thread: Thread, document: str, paragraph: int, sentence: int, sentences: int) -> str | None:
    """Where sentence `sentence` (of `sentences`) of `paragraph` stands from the last answer; None for
    another document."""
    if document != thread.document:
        return None
    if paragraph == thread.paragraph:
        step = sentence - thread.sentence
    elif paragraph == thread.paragraph + 1:
        step = thread.sentences - thread.sentence + sentence
    elif paragraph == thread.paragraph - 1:
        step = -(thread.sentence + sentences - sentence)
    else:
        return "far"
    if step == 0:
        return "same"
    if step == 1:
        return "next"
    if 2 <= step <= 3:
        return "after"
    if -3 <= step <= -1:
        return "before"
    return "far"


def gives_reason(sentence: str, kind: str) -> re.Match | None:
    """Where `sentence` gives a reason ("why") or a means ("how")."""
    return (MEANS if kind == "how" else REASON).search(sentence)
