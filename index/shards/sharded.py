"""The sharded engine: first-stage candidates and their BM25 scores from Xapian shards, then docqa's own
re-rank (as Elasticsearch's rescore runs on a shard's hits); the same search interface as LayeredIndex.

A search makes two calls to every shard at once: document frequencies of the query's terms (Xapian's
`get_mset(0, 0)`; summed, they give the Lucene idf over the whole collection), then the best paragraphs
with each term weighted by query weight x idf / IMPACT_SCALE (index/shards/format.py). The candidates of
all shards are merged by score; their text, offsets and terms come from the shards' stored data, and
their vectors (when the shards hold them) from a value fetched with that data: with the question's vector
the same semantic re-rank runs as on the embedded engine (index/hits.py). A request whose candidates
lack a vector (a shard not embedded yet, a document written a moment ago) ranks lexically.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from functools import partial
from typing import Mapping, Sequence

import numpy as np

from index import analysis, rerank
from index.documents import Document, Paragraph, split_paragraphs
from index.hits import Candidates, Hit, rank, wanted
from index.lexical.bm25 import lucene_idf, query_pairs
from index.errors import DocumentNotFoundError, EmptyQueryError, InvalidInputError
from index.lexical.search import DEFAULT_K, DocumentInfo
from index.shards.client import MISSING, ShardDown, ShardSet
from index.shards.embed import VectorState, vector_state
from index.shards.format import (BODY, DOCUMENT, DOCUMENT_KEY, IMPACT_SCALE, NNN, STATS_KEY, TEXT_KEY, TITLE,
                                 VECTORS_DONE_KEY, VERSION_KEY, paragraph_of, phrase, shard_of, stacked_vectors,
                                 stored_paragraph, term)
from index.shards.bindings import xapian


def _info(entry: dict) -> DocumentInfo:
    return DocumentInfo(entry["id"], entry["title"], entry["file"], entry["sha256"], entry["chars"],
                        entry["paragraphs"], -1, 0, 0, tuple(entry.get("pages", ())))


PARAGRAPH_CACHE = 20_000  # paragraphs' stored data kept in memory (a few KB each)
DF_CACHE = 200_000  # document frequencies kept in memory


class ShardedIndex:
    def __init__(self, shards: ShardSet, semantic: bool = True):
        self.shards = shards
        self.ranking = rerank.ranking()
        self.semantic = semantic  # re-rank with the shards' paragraph vectors when they hold them
        self._vectors: dict[int, tuple[VectorState, bytes]] = {}  # shard -> its vector state, VECTORS_DONE_KEY
        self._lock = threading.Lock()
        self._documents: dict[str, DocumentInfo] = {}
        self._position: dict[str, int] = {}
        self._by_shard: dict[int, dict[str, DocumentInfo]] = {}
        self._versions: dict[int, bytes] = {}
        self._cache: OrderedDict[tuple[int, int], dict] = OrderedDict()  # (shard, docid) -> paragraph data
        self._df: dict[str, int] = {}  # Xapian term -> document frequency over all shards; "" -> paragraphs
        self._generation = 0  # bumped whenever the caches are cleared
        self.stats: dict = {}
        self.refresh()

    # -- documents ------------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Re-read the document list of every shard whose version changed (a write, here or elsewhere)
        or that could not be read before; shards that do not answer are read on a later call.
        Returns whether anything was re-read."""
        def read(db, number: int):
            version, vectors = db.get_metadata(VERSION_KEY), (vector_state(db), db.get_metadata(VECTORS_DONE_KEY))
            if number in self._by_shard and self._versions.get(number) == version:
                return version, vectors, None
            keys = [k.decode("utf-8") for k in db.metadata_keys(DOCUMENT_KEY)]
            return version, vectors, (json.loads(db.get_metadata(STATS_KEY) or b"{}"),
                                      [json.loads(e) for e in map(db.get_metadata, keys) if e])

        changed = False
        for number, shard in enumerate(self.shards.shards):
            if not shard.up:
                continue
            try:
                version, vectors, read_now = shard.call(partial(read, number=number))
            except ShardDown:
                continue
            self._vectors_read(number, vectors)
            if read_now is None:
                continue
            shard.data_error = None  # a new version, read whole: whatever was bad in the old one is gone
            stats, entries = read_now
            if stats:
                self.stats = stats
                self._check_order(number, self.stats)
            with self._lock:
                self._by_shard[number] = {e["id"]: _info(e) for e in entries}
                self._versions[number] = version
            changed = True
        if changed:
            self._changed()
        return changed

    def _vectors_read(self, number: int, vectors: tuple[VectorState, bytes]) -> None:
        """Record a shard's vector state; after new vectors were committed there, its paragraphs cached
        without one are read again."""
        with self._lock:
            before = self._vectors.get(number)
            self._vectors[number] = vectors
            if before is not None and before[1] != vectors[1]:
                for key in [key for key, data in self._cache.items() if key[0] == number and data["v"] is None]:
                    del self._cache[key]

    def vector_states(self) -> list[dict]:
        """Per shard (in DOCQA_SHARDS order), how many of its paragraphs have vectors (for /api/health)."""
        with self._lock:
            known = dict(self._vectors)
        return [{"address": shard.address, **(known[i][0].as_json() if i in known else {"state": "unknown"})}
                for i, shard in enumerate(self.shards.shards)]

    def _check_order(self, number: int, stats: dict) -> None:
        """Writes go to the shard a document's id hashes to, so the addresses must be in shard order."""
        count = len(self.shards.shards)
        if stats.get("shard", number) != number or stats.get("shards", count) != count:
            raise InvalidInputError(
                f"the shard at {self.shards.shards[number].address} (number {number} of {count} in DOCQA_SHARDS) "
                f"holds shard {stats.get('shard')} of {stats.get('shards')}: list every shard, in order (shard-00 first)")

    def written(self, number: int, version: str, entry: dict | None, document_id: str) -> None:
        """Record this server's write to shard `number` (no re-read of the shard's document list)."""
        with self._lock:
            documents = self._by_shard.setdefault(number, {})
            documents.pop(document_id, None)
            if entry is not None:
                documents[document_id] = _info(entry)
            self._versions[number] = version.encode("utf-8")
        self._changed()

    def _changed(self) -> None:
        with self._lock:
            self._cache.clear()  # a full rebuild renumbers a shard's documents
            self._df = {}
            self._generation += 1
            documents = {i: d for part in self._by_shard.values() for i, d in part.items()}
            self._documents = dict(sorted(documents.items(), key=lambda item: item[1].file))
            self._position = {d: i for i, d in enumerate(self._documents)}  # corpus order breaks ties

    @property
    def documents(self) -> list[DocumentInfo]:
        return list(self._documents.values())

    @property
    def num_documents(self) -> int:
        return len(self._documents)

    def uses_vectors(self) -> bool:
        """Whether a question's vector can be used: semantic is on and some shard holds this model's vectors."""
        with self._lock:
            return self.semantic and any(state.usable for state, _ in self._vectors.values())

    def begin_request(self) -> None:
        self.shards.begin_request()

    def missing_shards(self) -> list[str]:
        return self.shards.missing()

    @property
    def num_paragraphs(self) -> int:
        return sum(d.paragraphs for d in self._documents.values())

    @property
    def manifest(self) -> dict:
        stats = self.stats
        return {"built_at": stats.get("built_at"), "settings": {
            "engine": "xapian", "bm25": stats.get("bm25"), "analysis": stats.get("analysis"),
            "shards": [s.address for s in self.shards.shards]}}

    def info(self, document_id: str) -> DocumentInfo:
        try:
            return self._documents[document_id]
        except KeyError:
            raise DocumentNotFoundError(f"no document with id {document_id!r}") from None

    def shard_for(self, document_id: str) -> int:
        return shard_of(document_id, len(self.shards.shards))

    def document(self, document_id: str) -> Document:
        info = self.info(document_id)
        shard = self.shards.shards[self.shard_for(document_id)]
        text = self.shards.each(lambda db: db.get_metadata(TEXT_KEY + document_id).decode("utf-8"), [shard])[shard]
        return Document(info.id, info.title, info.file, text, info.sha256, info.pages)

    def document_paragraphs(self, document_id: str) -> list[Paragraph]:
        return split_paragraphs(self.document(document_id))

    def document_paragraph(self, document_id: str, number: int) -> Paragraph:
        if number < 1:
            raise IndexError(f"{document_id} has no paragraph {number}")
        return self.document_paragraphs(document_id)[number - 1]

    # -- search ---------------------------------------------------------------------------------

    def _frequencies(self, terms: list[str]) -> tuple[np.ndarray, int]:
        """Each Xapian term's document frequency over all shards, and the paragraph count. Known ones come
        from a cache that lives until a shard's version changes (`refresh`: after this server's writes at
        once, after others' within DOCQA_POLL_SECONDS); counts from fewer than all shards are not kept."""
        x = xapian()
        with self._lock:
            cache, generation = self._df, self._generation
            unknown = [t for t in dict.fromkeys(terms) if t not in cache]
            count = cache.get("", None)
        if unknown or count is None:
            def read(db):
                enquire = x.Enquire(db)
                enquire.set_query(x.Query(x.Query.OP_OR, unknown))
                mset = enquire.get_mset(0, 0)
                return [mset.get_termfreq(t) for t in unknown], db.get_doccount()

            results = self.shards.each(read)
            fresh = dict(zip(unknown, np.sum([r[0] for r in results.values()], axis=0).tolist() if unknown else []))
            fresh[""] = sum(r[1] for r in results.values())
            if len(results) == len(self.shards.shards):
                with self._lock:
                    if generation == self._generation and len(self._df) < DF_CACHE:
                        self._df.update(fresh)
            cache = {**cache, **fresh}
        return np.array([cache[t] for t in terms], dtype=np.float64), int(cache[""])

    def idf(self, terms: list[str]) -> np.ndarray:
        """Lucene idf per analysed term over all shards (0 for terms they lack)."""
        if not terms:
            return np.zeros(0)
        df, n = self._frequencies([term(BODY, t) for t in terms])
        return np.where(df > 0, lucene_idf(df, n), 0.0)

    def search(self, question: str, k: int = DEFAULT_K, vector=None) -> list[Hit]:
        terms = analysis.analyze(question)
        if not terms:
            raise EmptyQueryError("the question has no searchable words (only stopwords or punctuation)")
        return self.search_terms(dict.fromkeys(terms, 1.0), k, phrase=terms, vector=vector)

    def first_stage(self, weighted: Mapping[str, float], k: int, phrase_terms: Sequence[str] = (),
                    only: frozenset[str] | None = None):
        """(the query's known terms, their weights x idf, the k best [(score, paragraph data)]) or None."""
        x = xapian()
        weighted = {t: w for t, w in weighted.items() if w > 0}
        pairs = query_pairs(phrase_terms)
        names = ([term(BODY, t) for t in weighted] + [term(TITLE, t) for t in weighted]
                 + [phrase(a, b) for a, b in pairs])
        if not names or k <= 0:
            return None
        df, n = self._frequencies(names)
        idf = np.where(df > 0, lucene_idf(df, max(n, 1)), 0.0)
        q, ranking = len(weighted), self.ranking
        weights = np.array(list(weighted.values()))
        factors = np.concatenate([weights * idf[:q], weights * idf[q:2 * q] * ranking.title_weight,
                                  idf[2 * q:] * ranking.phrase_weight]) / IMPACT_SCALE
        known = (df[:q] > 0) | (df[q:2 * q] > 0)  # as the embedded vocabulary: in a body or a title
        if not known.any():
            return None
        if only is not None and not only:
            return None
        scaled = [(name, float(f)) for name, f in zip(names, factors) if f > 0]
        allowed = [term(DOCUMENT, d) for d in sorted(only)] if only is not None else None

        def best(db):  # Query objects are built per thread: Xapian's reference counts are not thread-safe
            query = x.Query(x.Query.OP_OR, [x.Query(x.Query.OP_SCALE_WEIGHT, x.Query(name), f) for name, f in scaled])
            if allowed is not None:
                query = x.Query(x.Query.OP_FILTER, query, x.Query(x.Query.OP_OR, allowed))
            enquire = x.Enquire(db)
            enquire.set_weighting_scheme(x.TfIdfWeight(NNN))
            enquire.set_query(query)
            return [(m.weight, m.docid) for m in enquire.get_mset(0, k)]

        ranked = [(weight, self.shards.shards.index(shard), docid)
                  for shard, hits in self.shards.each(best).items() for weight, docid in hits]
        ranked.sort(key=lambda h: -h[0])
        if len(ranked) > k:  # every tie at the cut: as the embedded engine, ties go to the earlier paragraph
            ranked = [h for h in ranked if h[0] >= ranked[k - 1][0]]
        position = self._position
        found = [(weight, data) for (weight, _, _), data in zip(ranked, self._paragraphs(ranked)) if data]
        found.sort(key=lambda h: (-h[0], position.get(h[1]["d"], len(position)), h[1]["n"]))
        found = found[:k]
        terms = [t for t, keep in zip(weighted, known) if keep]
        return terms, (weights * idf[:q])[known], found

    def _paragraphs(self, hits: list[tuple[float, int, int]]) -> list[dict | None]:
        """The stored data of (score, shard number, docid) hits: from the cache, else fetched from each
        shard at once. Remote Xapian fetches a document per round trip, so only the merged best are
        fetched, never every shard's own best."""
        x = xapian()
        missing: dict[int, list[int]] = {}
        for _, shard, docid in hits:
            if (shard, docid) not in self._cache:
                missing.setdefault(shard, []).append(docid)

        def fetch(docids):  # decoded inside the shard's call: bad data marks that shard
            return lambda db: [(d, stored_paragraph(db.get_document(d))) for d in docids]

        shards = self.shards.shards
        calls = [(shards[s], fetch(docids)) for s, docids in missing.items()]
        try:  # every shard at once (more connections per shard measured slower: few cores, thread hand-offs)
            fetched = [(shards.index(shard), pairs) for (shard, _), pairs in zip(calls, self.shards.run(calls))
                       if pairs is not MISSING]
        except x.DocNotFoundError:  # deleted by a write since the match: that shard's next query sees it
            fetched = []
        with self._lock:
            for number, pairs in fetched:
                for docid, data in pairs:
                    self._cache[(number, docid)] = data
            while len(self._cache) > PARAGRAPH_CACHE:
                self._cache.popitem(last=False)
            return [self._cache.get((s, d)) for _, s, d in hits]  # None: deleted since the match

    def search_terms(self, weighted: Mapping[str, float], k: int = DEFAULT_K, phrase: Sequence[str] = (),
                     only: frozenset[str] | None = None, vector=None) -> list[Hit]:
        """As LayeredIndex.search_terms: the k best paragraphs, re-ranked by docqa (with the question's
        `vector`, by the semantic re-rank too when every candidate in its window has a vector)."""
        semantic = vector is not None and self.uses_vectors()
        first = self.first_stage(weighted, wanted(k, semantic, self.ranking.rerank), phrase, only) if k > 0 else None
        if first is None:
            return []
        terms, idf, found = first
        # Local term ids: the question's terms, words sharing their first letters (near misses), and one
        # id for every other word (it can match nothing, but keeps the positions the window feature reads).
        vocabulary: dict[str, int] = {t: i for i, t in enumerate(terms)}
        other = vocabulary.setdefault("", len(vocabulary))
        length = self.ranking.near_miss_prefix
        near = {t[:length] for t in terms if len(t) >= length}

        def local_id(word: str) -> int:
            i = vocabulary.get(word)
            if i is None:
                i = vocabulary.setdefault(word, len(vocabulary)) if len(word) >= length and word[:length] in near \
                    else other
            return i

        ids = lambda words: np.fromiter(map(local_id, words), np.int64, len(words))  # noqa: E731
        titles: list[np.ndarray] = []   # each document number's title terms
        numbers: dict[str, int] = {}    # document id -> its number among these candidates
        for _, data in found:
            if numbers.setdefault(data["d"], len(numbers)) == len(titles):
                titles.append(ids(data["tt"]))
        position = self._position
        candidates = Candidates(
            np.array([s for s, _ in found]), [ids(d["t"]) for _, d in found],
            [ids(d["p"]) if d["p"] else None for _, d in found], [numbers[d["d"]] for _, d in found], titles,
            np.array([position.get(d["d"], len(position)) * 2**32 + d["n"] for _, d in found]),
            np.arange(len(terms)), idf, terms, rerank.prefix_groups(list(vocabulary)),
            lambda n: paragraph_of(found[n][1]), (lambda n: stacked_vectors([d for _, d in found[:n]])) if semantic else None)
        return rank(candidates, k, vector if semantic else None, reranked=self.ranking.rerank)

