"""Question -> the best passages, each with the offsets of the words that matched and its analysed terms."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from functools import cached_property

from index import analyze_spans, semantic
from index.lexical.search import DEFAULT_K
from index.searchable import Searchable
from index.hits import Hit
from index.lexical.bm25 import lucene_idf
from index.errors import DocumentNotFoundError, EmptyQueryError
from index.analysis.sentences import sentence_spans

from .conversation import Context, focus_weights
from . import topic
from .figures import counted_measure, counts
from .parameters import count
from .questions import Question, parse_question
from .speakers import SpeakerCache, asked_person, asked_speaker
from .thread import thread_of
from .topic import conversation_terms


@dataclass(frozen=True)
class Passage:
    hit: Hit
    searched: frozenset[str]  # the terms searched for

    @cached_property
    def terms(self) -> tuple[tuple[str, int, int], ...]:
        """Every analysed term of the paragraph, with offsets: as the index stored them, else analysed
        once, when first needed."""
        return self.hit.terms if self.hit.terms is not None else tuple(analyze_spans(self.hit.paragraph.text))

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



def find_passages(index: Searchable, question: str, top_k: int = DEFAULT_K, history=(), context: Context | None = None,
                  documents: frozenset[str] | None = None, speakers: SpeakerCache | None = None,
                  ) -> tuple[Question, list[Hit], tuple[Passage, ...]]:
    """Parse the question (as it is read in its conversation), search, and mark the matched words.

    A question that leans on the conversation (`context.reading.leans`) is searched with what its reading
    put in (names, the elided question) and the last turn's words, and paragraphs in the conversation's
    focus are preferred (a boost, not a filter; a short follow-up such as "Why?" also gets the focus
    paragraphs themselves). Any other question is searched exactly as if asked alone; the conversation
    only breaks near-ties: between documents (topic.py), and within the one its words find (thread_ties).
    "What did X say?" puts the paragraphs X speaks in first. `documents` limits the search to those documents."""
    leaning = context if context is not None and context.reading.leans else None  # the context, if the question leans on it
    read_as = leaning.reading.text if leaning is not None else question
    previous = history[-1] if leaning is not None and history else None
    q = parse_question(question, previous, idf=lambda terms: index.idf(terms).tolist(),
                       names=reading_names(leaning.reading) if leaning is not None else ())
    focused = leaning is not None and bool(leaning.focus)
    if not q.search and not focused:
        raise EmptyQueryError("the question has no searchable words (only stopwords or punctuation)")
    asks_speech = asked_speaker(read_as) is not None
    pool = count("focus_pool")
    k = max(top_k, pool) if context is not None and context.focus or asks_speech else top_k
    vector = None
    if q.search and not (leaning is not None and leaning.ellipsis in ("next", "why", "how")):  # "Why?" has nothing to embed
        vector = question_vector(index, read_as)
    hits = index.search_terms(q.search, k, phrase=q.terms, only=documents, vector=vector) if q.search else []
    if leaning is not None and focused:
        include = (leaning.ellipsis is not None or not q.search) and (documents is None or leaning.focus[0][0] in documents)
        hits = prefer_focus(hits, leaning, index, include=include)
    elif context is not None and hits:
        hits = on_topic(index, q, hits, context, top_k, documents, vector)
    if asks_speech:
        speakers = speakers or SpeakerCache(index)
        asked = asked_person(read_as, [h.paragraph for h in hits[:top_k]], speakers)
        assert asked is not None  # asked_speaker found whom the question asks about
        hits = sorted(hits[:pool], key=lambda h: not speakers.speaks(h.paragraph.document_id, h.paragraph.number,
                                                                          asked))
    hits = hits[:top_k]
    searched = frozenset(q.search)
    return q, hits, tuple(Passage(h, searched) for h in hits)


def reading_names(reading) -> tuple[str, ...]:
    """What a reading put in the question, searched at full weight: resolved names, and for "What about
    X?" / "What else?" the question it continues."""
    names = tuple(r.name for r in reading.resolutions)
    return names + ((reading.text,) if reading.ellipsis in ("about", "else") else ())


def on_topic(index: Searchable, q: Question, alone: list[Hit], context: Context, top_k: int,
             documents: frozenset[str] | None, vector) -> list[Hit]:
    """The hits of a question that names its own subject: its own (`alone`), unless the topic model
    (topic.py) keeps the conversation's document over the one the question's words prefer: the document
    the last answers cited, and the one the question finds with the conversation's recent words. The
    citation is weighed first, and agreeing with the question it settles it, when the last answer was
    quoted from it (or there was none); an answer not found in its citation (edited, or another's
    words) makes the conversation's words count first. A counting question keeps it only when it counts
    what is asked (its figures' measures) as the question's own document does. Kept, the document's paragraphs come first, in
    the order (and with the scores) the question's own words give them."""
    weighted = {**conversation_terms(context.turns), **q.search}
    together = index.search_terms(weighted, max(top_k, 1), phrase=q.terms, only=documents, vector=vector)
    cited = list(context.documents)
    found = [h.paragraph.document_id for h in together[:1]]
    trusted = context.turns[-1].answer is None or thread_of(context.turns, index) is not None
    top = alone[0].paragraph.document_id
    measure = counted_measure(q.text)
    for document in dict.fromkeys(cited + found if trusted else found + cited):
        if document == top:
            if document in cited or not trusted:  # the conversation points where the question's own words do:
                return thread_ties(alone, context)  # its paragraphs may break near-ties in that document
            continue
        if topic.keeps(alone, document):
            first = [h for h in alone if h.paragraph.document_id == document] or index.search_terms(
                q.search, top_k, phrase=q.terms, only=frozenset({document}), vector=vector) or [
                h for h in together if h.paragraph.document_id == document]
            if measure and counts(measure, [h.paragraph.text for h in alone if h.paragraph.document_id == top]) \
                    and not counts(measure, [h.paragraph.text for h in first]):
                return alone  # the conversation's document does not count what the question asks
            return first + [h for h in alone if h.paragraph.document_id != document]
    return alone


def question_vector(index, text: str):
    """The question's embedding when the index has paragraph vectors to compare it with, else None
    (also over a live overlay, which ranks lexically: the embedding would be wasted)."""
    if not index.uses_vectors():
        return None
    return semantic.query_embedder().question(text)


def thread_ties(hits: list[Hit], context: Context) -> list[Hit]:
    """`hits` with the conversation's thread first among the near-ties of the best one (within
    topic.TIE_RATIO of its score, in its document): a focus paragraph itself, then the one after it,
    then the one before; the rest as they were."""
    if not hits:
        return hits
    best = hits[0]
    place: dict[tuple[str, int], int] = {}
    for step, offset in enumerate((0, 1, -1)):
        for doc, number in context.focus:
            place.setdefault((doc, number + offset), step)
    tied = [h for h in hits if h.score >= topic.TIE_RATIO * best.score
            and h.paragraph.document_id == best.paragraph.document_id
            and (h.paragraph.document_id, h.paragraph.number) in place]
    first = sorted(tied, key=lambda h: place[(h.paragraph.document_id, h.paragraph.number)])
    return first + [h for h in hits if h not in first]


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
        for n in (number, number + 1):
            try:
                p = index.document_paragraph(doc, n)
            except (DocumentNotFoundError, IndexError):
                continue
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

