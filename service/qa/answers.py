"""Question -> passages -> the answer sentence, its marked span, disagreement and confidence.

Lexical and explainable: every answer is one sentence quoted verbatim from a returned passage;
every offset points into the text it came with. No Flask here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from index.searchable import Searchable
from index.analysis import analyze

from .answer_sentence import Answer, best_sentence
from .conversation import Context, answer_antecedents, context_for, focus_weights, speaking_pronoun
from .disagreement import Disagreement, find_disagreement
from .passages import Passage, find_passages, term_weights
from .questions import OPEN_VERBS, describe_query
from .read_as import read_as

DEFAULT_TOP_K, MAX_TOP_K = 5, 50  # passages returned: by default, and at most
FOLLOW_ON_CONFIDENCE = 0.5  # "What else?" answered by the next sentence: a guess from position, said as such
OPEN_TERMS = frozenset(analyze(OPEN_VERBS))
REASON = re.compile(r"\b(?:because|since|as a result|due to|owing to|in order to|so that|so as to|thanks to|"
                    r"led to|caused|by\s+\w+ing|reason|why)\b", re.I)


@dataclass(frozen=True)
class AskResult:
    question: str
    query: str
    read_as: str  # the question as understood, in words (the question itself when it does not lean on the history)
    answer: Answer | None
    disagreement: tuple[Disagreement, ...]
    passages: tuple[Passage, ...]

    def disagreement_notes(self) -> list[str]:
        return [f"{d.value} in " + ", ".join(
            f"[{i + 1}] {self.passages[i].hit.paragraph.document_id} ¶{self.passages[i].hit.paragraph.number}"
            for i in d.passages) for d in self.disagreement]



def answer_question(index: Searchable, question: str, top_k: int = 5, history=(), threshold: float = 0.3,
                    documents: frozenset[str] | None = None) -> AskResult:
    """Search, then pick the answer sentence and span; `answer` is None below `threshold` confidence.

    With history, the conversation's context steers search (focus, resolved pronouns) and the answer
    (a short follow-up is answered from the focus; an answer already given is not given again).
    `documents` limits the answer to those documents."""
    context = context_for(question, history, index)
    q, hits, passages = find_passages(index, question, top_k, history, context, documents)
    resolved = " ".join(f"{r.word}→{r.name}" for r in context.resolutions) if context else ""
    result = dict(question=question, query=" ".join(filter(None, (resolved, describe_query(q.search)))),
                  read_as=read_as(question, context.resolutions if context else ()))
    if not hits:
        return AskResult(**result, answer=None, disagreement=(), passages=passages)
    weights = term_weights(index, q)
    answer = None
    if context is not None and context.ellipsis in ("next", "why", "how") and not context.resolutions \
            and not q.terms:
        answer = follow_on_sentence(context, passages)
    if answer is None:
        restated = context is not None and any(set(analyze(t.question)) == set(q.terms) for t in context.turns)
        penalty = focus_weights()["repeat_open" if asks_for_more(q) else "repeat"]
        answer = best_sentence(q, passages, weights, context.given if context and not restated else frozenset(),
                               penalty, tuple(r.name for r in context.resolutions) if context else ())
    disagreement = find_disagreement(q, passages, weights) if q.kind == "quantity" else ()
    if answer is not None and answer.confidence < threshold:
        answer, disagreement = None, ()
    if answer is not None:
        answer = with_antecedents(answer, passages[answer.passage], index, q)
    return AskResult(**result, answer=answer, disagreement=disagreement, passages=passages)


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
    """For "What else?" / "What happened next?": the sentence after the last answer; for "Why?" /
    "How?": the first sentence near it that gives a reason or a means, else the next one. Never one
    already given."""
    last = next((t for t in reversed(context.turns) if t.answer and t.citations), None)
    if last is None:
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
    if context.ellipsis in ("why", "how"):
        fresh = [c for c in fresh if REASON.search(c[2])] or fresh
    if not fresh:
        return None
    passage, start, text = fresh[0]
    return Answer(text, None, passages.index(passage), FOLLOW_ON_CONFIDENCE, start)
