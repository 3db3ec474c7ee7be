"""Question -> the best passages, each with the offsets of the words that matched and its analysed terms."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

from index import SearchIndex, analyze_spans
from index.engine import Hit, lucene_idf
from index.errors import EmptyQueryError
from index.sentences import sentence_spans

from .questions import Question, parse_question


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


def term_weights(index: SearchIndex, q: Question) -> dict[str, float]:
    """idf x search weight per searched term; terms unknown to the index count as rarest."""
    terms = list(q.search)
    idf = index.idf(terms)
    rarest = float(lucene_idf(0, index.num_paragraphs))
    return {t: (float(i) if i > 0 else rarest) * q.search[t] for t, i in zip(terms, idf)}

