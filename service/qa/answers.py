"""Question -> passages -> the answer sentence, its marked span, disagreement and confidence.

Lexical and explainable: every answer is one sentence quoted verbatim from a returned passage;
every offset points into the text it came with. No Flask here.
"""

from __future__ import annotations

from dataclasses import dataclass

from index import SearchIndex

from .answer_sentence import Answer, best_sentence
from .disagreement import Disagreement, find_disagreement
from .passages import Passage, find_passages, term_weights
from .questions import describe_query

DEFAULT_TOP_K, MAX_TOP_K = 5, 50  # passages returned: by default, and at most


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



def answer_question(index: SearchIndex, question: str, top_k: int = 5, history=(), threshold: float = 0.3) -> AskResult:
    """Search, then pick the answer sentence and span; `answer` is None below `threshold` confidence."""
    q, hits, passages = find_passages(index, question, top_k, history)
    result = dict(question=question, query=describe_query(q.search))
    if not hits:
        return AskResult(**result, answer=None, disagreement=(), passages=passages)
    weights = term_weights(index, q)
    answer = best_sentence(q, passages, weights)
    disagreement = find_disagreement(q, passages, weights) if q.kind == "quantity" else ()
    if answer is not None and answer.confidence < threshold:
        answer, disagreement = None, ()
    return AskResult(**result, answer=answer, disagreement=disagreement, passages=passages)

