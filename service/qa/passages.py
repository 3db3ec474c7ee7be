"""Question -> the best passages, each with the offsets of the words that matched and its analysed terms."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from functools import cached_property

from index import analyze_spans, semantic
from index.searchable import Searchable
from index.engine import Hit, lucene_idf
from index.errors import DocumentNotFoundError, EmptyQueryError
from index.sentences import sentence_spans

from .conversation import FOCUS_POOL, Context, focus_weights
from .questions import Question, parse_question


@dataclass(frozen=True)
class Passage:
    hit: Hit
    searched: frozenset[str]  # the terms searched for

    @cached_property
    def terms(self) -> tuple[tuple[str, int, int], ...]:
        """Every analysed term of the paragraph, with offsets (analysed once, when first needed)."""
        return tuple(analyze_spans(self.hit.paragraph.text))

    @cached_property
    def highlights(self) -> tuple[tuple[int, int], ...]:
        """Offsets of the words that matched the question."""
        return _highlights(self.terms, self.searched)

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



def find_passages(index: Searchable, question: str, top_k: int = 5, history=(), context: Context | None = None,
                  documents: frozenset[str] | None = None) -> tuple[Question, list[Hit], tuple[Passage, ...]]:
    """Parse the question (with follow-up context), search, and mark the matched words in each passage.

    With a conversation `context`, paragraphs in its focus are preferred (a boost, not a filter), and a
    short follow-up ("Why?", "What else?") also gets the focus paragraphs themselves. `documents`
    limits the search to those documents."""
    names = tuple(r.name for r in context.resolutions) if context else ()
    q = parse_question(question, list(history), idf=lambda terms: index.idf(terms).tolist(), names=names)
    focused = context is not None and bool(context.focus)
    if not q.search and not focused:
        raise EmptyQueryError("the question has no searchable words (only stopwords or punctuation)")
    k = max(top_k, FOCUS_POOL) if focused else top_k
    vector = None
    if q.search and (context is None or context.ellipsis is None):  # "Why?" alone says nothing to embed
        vector = question_vector(index, " ".join((question, *names)))
    hits = index.search_terms(q.search, k, phrase=q.terms, only=documents, vector=vector) if q.search else []
    if focused:
        include = (context.ellipsis is not None or not q.search) and (documents is None or context.focus[0][0] in documents)
        hits = prefer_focus(hits, context, index, include=include)[:top_k]
    searched = frozenset(q.search)
    return q, hits, tuple(Passage(h, searched) for h in hits)


def question_vector(index, text: str):
    """The question's embedding when the index has paragraph vectors to compare it with, else None
    (also over a live overlay, which ranks lexically: the embedding would be wasted)."""
    if getattr(index, "main", index).vectors is None or getattr(index, "layered", False):
        return None
    return semantic.query_embedder().question(text)


def prefer_focus(hits: list[Hit], context: Context, index, include: bool) -> list[Hit]:
    """Hits re-ordered with the conversation's focus boosted: its documents, more so its paragraphs and
    their neighbours. `include` adds the newest focus paragraph and the one after it when missing."""
    weights = focus_weights()
    near = {(doc, n + d) for doc, n in context.focus for d in (-1, 0, 1)}
    documents = set(context.documents)
    if include and context.focus:
        present = {(h.paragraph.document_id, h.paragraph.number) for h in hits}
        top = max((h.score for h in hits), default=1.0)
        doc, number = context.focus[0]
        try:
            paragraphs = index.document_paragraphs(doc)
        except DocumentNotFoundError:
            paragraphs = []
        for p in paragraphs[number - 1:number + 1]:
            if (p.document_id, p.number) not in present:
                hits.append(Hit(p, top, ()))
    boosted = [replace(h, score=h.score * (1 + weights["document"] * (h.paragraph.document_id in documents)
                                           + weights["paragraph"] * ((h.paragraph.document_id, h.paragraph.number) in near)))
               for h in hits]
    return sorted(boosted, key=lambda h: -h.score)


def _highlights(terms, search) -> tuple[tuple[int, int], ...]:
    """Offsets of the searched terms, without overlaps: a compound whose joined word matched ("IL-10")
    is marked whole, and its parts (spans inside it, listed right after it) are not marked again."""
    marks: list[tuple[int, int]] = []
    for term, start, end in terms:
        if term in search and (not marks or start >= marks[-1][1]):
            marks.append((start, end))
    return tuple(marks)


def term_weights(index: Searchable, q: Question) -> dict[str, float]:
    """idf x search weight per searched term; terms unknown to the index count as rarest."""
    terms = list(q.search)
    idf = index.idf(terms)
    rarest = float(lucene_idf(0, index.num_paragraphs))
    return {t: (float(i) if i > 0 else rarest) * q.search[t] for t, i in zip(terms, idf)}

