"""A live index of segments, as Lucene keeps one: the main generation, minus the documents replaced or
deleted since it was built, plus an overlay of the documents written since.

Both segments are ranked with the statistics of the whole live collection (paragraph count, document
frequencies, average field lengths; main + overlay - hidden), and their leading candidates are
re-ranked together, so a document written a moment ago ranks where it will rank once the background
rebuild has folded it into the main generation. The main segment's precomputed scores are rescaled
term by term to the live idf; its length normalisation keeps the main generation's average length,
which the few written documents barely move. The overlay shares the main vocabulary's term ids
(`build_index(vocabulary=...)`), so terms, phrase keys and prefix groups mean the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Mapping, Sequence

import numpy as np

from index.documents import Document, Paragraph
from index.errors import DocumentNotFoundError
from index.hits import Candidates, Hit, rank, wanted
from index.lexical.bm25 import FIELDS, Bm25Params, average_length, lucene_idf, pair_key, query_pairs, saturation
from index.lexical.engines import top_k
from index.lexical.fields import pair_keys
from index.lexical.search import DEFAULT_K, SearchIndex

@dataclass(frozen=True)
class FieldTerms:
    """One field's terms (term ids, or phrase keys) for a few paragraphs: (flat, offsets)."""

    flat: np.ndarray
    offsets: np.ndarray

    @property
    def total_length(self) -> int:
        return int(self.offsets[-1])

    def tf(self, query: np.ndarray) -> np.ndarray:
        """paragraphs x query terms: how often each paragraph holds each term."""
        counts = np.zeros((len(self.offsets) - 1, len(query)))
        if len(query) and len(self.flat):
            order = np.argsort(query)
            pos = np.minimum(np.searchsorted(query[order], self.flat), len(query) - 1)
            hit = query[order][pos] == self.flat
            rows = np.repeat(np.arange(len(self.offsets) - 1), np.diff(self.offsets))
            np.add.at(counts, (rows[hit], order[pos[hit]]), 1)
        return counts


def _gather(tokens: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> FieldTerms:
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=offsets[1:])
    parts = [tokens[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    return FieldTerms(np.concatenate(parts) if parts else np.zeros(0, np.int64), offsets)


def segment_fields(index: SearchIndex, paragraphs: np.ndarray) -> dict[str, FieldTerms]:
    """The body, phrase and title terms of some of an index's paragraphs."""
    body = _gather(index.tokens, index.token_offsets[paragraphs], index.token_offsets[paragraphs + 1])
    keys, key_offsets = pair_keys(body.flat, body.offsets)
    title_flat, title_offsets = index.title_terms
    documents = index.document_of[paragraphs]
    return {"body": body, "phrases": FieldTerms(keys, key_offsets),
            "titles": _gather(title_flat, title_offsets[documents], title_offsets[documents + 1])}


@dataclass(frozen=True)
class LayeredIndex:
    """Main index minus `hidden` documents, plus `overlay`: the search interface the service uses."""

    main: SearchIndex
    overlay: SearchIndex | None = None
    hidden: frozenset[str] = frozenset()

    @property
    def manifest(self) -> dict:
        return self.main.manifest

    @property
    def layered(self) -> bool:
        return self.overlay is not None or bool(self.hidden)

    @property
    def documents(self):
        kept = [d for d in self.main.documents if d.id not in self.hidden]
        return kept + (list(self.overlay.documents) if self.overlay else [])

    @property
    def num_documents(self) -> int:
        return len(self.documents)

    def uses_vectors(self) -> bool:
        """Only without live writes: written documents have no vectors until the next build."""
        return not self.layered and self.main.uses_vectors()

    def begin_request(self) -> None:
        """Nothing to record: one process answers the whole request."""

    def missing_shards(self) -> list[str]:
        return []

    @cached_property
    def num_paragraphs(self) -> int:
        if not self.layered:
            return self.main.num_paragraphs
        return sum(d.paragraphs for d in self.documents)

    def _owner(self, document_id: str) -> SearchIndex:
        if self.overlay is not None and document_id in self.overlay.by_id:
            return self.overlay
        if document_id in self.hidden:
            raise DocumentNotFoundError(f"no document with id {document_id!r}")
        return self.main

    def info(self, document_id: str):
        return self._owner(document_id).info(document_id)

    def document(self, document_id: str) -> Document:
        return self._owner(document_id).document(document_id)

    def document_paragraphs(self, document_id: str) -> list[Paragraph]:
        return self._owner(document_id).document_paragraphs(document_id)

    def document_paragraph(self, document_id: str, number: int) -> Paragraph:
        return self._owner(document_id).document_paragraph(document_id, number)

    # -- the live collection's statistics -----------------------------------------------------

    @property
    def vocabulary(self) -> SearchIndex:
        """The segment whose vocabulary covers every term id (the overlay's extends the main one's)."""
        return self.overlay if self.overlay is not None else self.main

    @cached_property
    def _hidden_fields(self) -> dict[str, FieldTerms]:
        ranges = [np.arange(i.first_paragraph, i.first_paragraph + i.paragraphs)
                  for d in sorted(self.hidden) if (i := self.main.by_id.get(d))]
        return segment_fields(self.main, np.concatenate(ranges) if ranges else np.zeros(0, np.int64))

    @cached_property
    def _overlay_fields(self) -> dict[str, FieldTerms]:
        if self.overlay is None:
            return {name: FieldTerms(np.zeros(0, np.int64), np.zeros(1, np.int64)) for name in FIELDS}
        return segment_fields(self.overlay, np.arange(self.overlay.num_paragraphs))

    @cached_property
    def _main_lengths(self) -> dict[str, int]:
        return {name: int(lengths.sum()) for name, lengths in self.main.field_lengths().items()}

    @cached_property
    def average_length(self) -> dict[str, float]:
        return {f: average_length(max(self._main_lengths[f] - self._hidden_fields[f].total_length
                                      + self._overlay_fields[f].total_length, 0), self.num_paragraphs)
                for f in FIELDS}

    def _main_df(self, name: str, query: np.ndarray) -> np.ndarray:
        """Document frequencies in the main generation of term ids (body, titles) or phrase keys."""
        if name == "phrases":
            table = self.main.phrase_table
            if not len(table):
                return np.zeros(len(query))
            pos = np.minimum(np.searchsorted(table, query), len(table) - 1)
            found = table[pos] == query
            df = np.zeros(len(query))
            df[found] = self.main.phrases.doc_freq(pos[found].astype(np.int64))
            return df
        engine = self.main.engine if name == "body" else self.main.titles
        known = query < len(self.main.vocab_list)
        df = np.zeros(len(query))
        df[known] = engine.doc_freq(query[known])
        return df

    def _live_idf(self, name: str, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(idf in the live collection, idf in the main generation) of each term or key."""
        main_df = self._main_df(name, query)
        hidden = (self._hidden_fields[name].tf(query) > 0).sum(axis=0)
        added = (self._overlay_fields[name].tf(query) > 0).sum(axis=0)
        live_df = np.maximum(main_df - hidden + added, 0)
        live = np.where(live_df > 0, lucene_idf(live_df, self.num_paragraphs), 0.0)
        main = np.where(main_df > 0, lucene_idf(main_df, self.main.num_paragraphs), 0.0)
        return live, main

    def idf(self, terms: list[str]) -> np.ndarray:
        """Lucene idf per term in the live collection (0 for terms it lacks)."""
        if not self.layered:
            return self.main.idf(terms)
        vocab = self.vocabulary.vocab
        ids = np.array([vocab.get(t, -1) for t in terms], dtype=np.int64)
        idf = np.zeros(len(terms))
        known = ids >= 0
        idf[known] = self._live_idf("body", ids[known])[0]
        return idf

    # -- search ---------------------------------------------------------------------------------

    def search_terms(self, weighted: Mapping[str, float], k: int = DEFAULT_K, phrase: Sequence[str] = (),
                     only: frozenset[str] | None = None, vector=None) -> list[Hit]:
        """As SearchIndex.search_terms, over main + overlay - hidden; `only` limits it to those documents.
        With an overlay the re-rank is lexical (written documents have no vectors until the next build)."""
        if not self.layered:
            return self.main.search_terms(weighted, k, phrase, only=only, vector=vector)
        k = max(0, min(int(k), self.num_paragraphs))
        owner = self.vocabulary
        known = [(owner.vocab[t], w) for t, w in weighted.items() if t in owner.vocab and w > 0]
        if not k or not known:
            return []
        ids = np.array([i for i, _ in known], dtype=np.int64)
        weights = np.array([w for _, w in known])
        keys = np.array(sorted({pair_key(owner.vocab[a], owner.vocab[b]) for a, b in query_pairs(phrase)
                                if a in owner.vocab and b in owner.vocab}), dtype=np.uint64)
        ranking = self.main.ranking
        field_weights = {"body": weights, "titles": weights * ranking.title_weight,
                         "phrases": np.full(len(keys), ranking.phrase_weight)}
        field_terms = {"body": ids, "titles": ids, "phrases": keys}
        live_idf = {name: self._live_idf(name, field_terms[name]) for name in FIELDS}
        count = wanted(k, False, ranking.rerank)
        found = self._main_candidates(field_terms, field_weights, live_idf, count, only)
        found += self._overlay_candidates(field_terms, field_weights, live_idf, count, only)
        found.sort(key=lambda c: -c[2])
        return rank(self._candidates(found[:count], ids, weights * live_idf["body"][0], owner), k,
                    reranked=ranking.rerank)

    def _main_candidates(self, terms, weights, live_idf, wanted, only) -> list[tuple[SearchIndex, int, float]]:
        """The main generation's best paragraphs, its precomputed scores rescaled to the live idf."""
        main = self.main
        scale = {name: np.divide(live, old, out=np.zeros_like(live), where=old > 0) for name, (live, old) in live_idf.items()}
        body_known = terms["body"] < len(main.vocab_list)
        ids = terms["body"][body_known]
        scores = main.engine.scores(ids, (weights["body"] * scale["body"])[body_known].astype(np.float32))
        if main.ranking.title_weight:
            main.titles.scores(ids, (weights["titles"] * scale["titles"])[body_known].astype(np.float32), out=scores)
        table = main.phrase_table
        if len(terms["phrases"]) and len(table) and main.ranking.phrase_weight:
            pos = np.minimum(np.searchsorted(table, terms["phrases"]), len(table) - 1)
            found = table[pos] == terms["phrases"]
            main.phrases.scores(pos[found].astype(np.int64),
                                (weights["phrases"] * scale["phrases"])[found].astype(np.float32), out=scores)
        main.drop_documents(scores, self.hidden, only)
        order, best = top_k(scores, min(wanted, main.num_paragraphs))
        return [(main, i, s) for i, s in zip(order.tolist(), best.tolist())]

    def _overlay_candidates(self, terms, weights, live_idf, wanted, only) -> list[tuple[SearchIndex, int, float]]:
        """The overlay's paragraphs scored with BM25 over the live collection's statistics."""
        if self.overlay is None:
            return []
        settings = self.main.manifest["settings"]["bm25"]
        params = Bm25Params(settings["k1"], settings["b"])
        scores = np.zeros(self.overlay.num_paragraphs)
        for name in FIELDS:
            data = self._overlay_fields[name]
            norm = params.length_norm(np.diff(data.offsets), self.average_length[name])
            scores += (saturation(data.tf(terms[name]), norm[:, None]) * (live_idf[name][0] * weights[name])).sum(axis=1)
        scores = scores.astype(np.float32)
        self.overlay.drop_documents(scores, frozenset(), only)
        order, best = top_k(scores, min(wanted, len(scores)))
        return [(self.overlay, i, s) for i, s in zip(order.tolist(), best.tolist())]

    def _candidates(self, found, ids, idf, owner: SearchIndex) -> Candidates:
        """Both segments' leading candidates as one list for index/hits.py (the overlay after the main
        generation in corpus order)."""
        titles: list[np.ndarray] = []               # each document number's title terms
        numbers: dict[tuple[int, int], int] = {}    # (segment, document) -> its number among these candidates
        terms, previous, order = [], [], []
        for segment, i, _ in found:
            d = int(segment.document_of[i])
            local = numbers.setdefault((id(segment), d), len(numbers))
            if local == len(titles):
                title_flat, title_offsets = segment.title_terms
                titles.append(title_flat[title_offsets[d]:title_offsets[d + 1]])
            before = i > 0 and int(segment.document_of[i - 1]) == d
            previous.append(segment.paragraph_terms(i - 1) if before else None)
            terms.append(segment.paragraph_terms(i))
            order.append(i if segment is self.main else self.main.num_paragraphs + i)
        return Candidates(np.array([s for _, _, s in found]), terms, previous,
                          [numbers[(id(seg), int(seg.document_of[i]))] for seg, i, _ in found], titles,
                          np.array(order), ids, idf, [owner.vocab_list[i] for i in ids.tolist()], owner.prefixes,
                          lambda n: found[n][0].paragraph(found[n][1]),
                          spans=lambda n: found[n][0].term_spans(found[n][1]))
