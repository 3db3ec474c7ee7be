"""A loaded index: memory-mapped arrays, the vocabulary, and BM25 search returning Hits."""

from __future__ import annotations

import json
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from index import analysis, rerank
from index.documents import Document, Paragraph
from index.lexical.engines import ENGINES, Bm25Params, Hit, lucene_idf, top_k
from index.errors import DocumentNotFoundError, EmptyQueryError
from index.lexical.fields import build_phrases, query_pair_ids, title_field
from index.store.layout import (BYTE_END, BYTE_START, DOC, FIELD_PREFIXES, HEADING, HEADINGS, NUMBER, PARAGRAPH_COLUMNS,
                     PARAGRAPHS, PHRASE_TABLE, START, END, TEXT, TITLE_OFFSETS, TITLE_TOKENS, TOKEN_OFFSETS, TOKENS,
                     VOCABULARY)



@dataclass(frozen=True)
class Ranking:
    """How the fields combine. Defaults chosen on SQuAD's even-numbered articles (docs/EVALUATION.md)."""

    phrase_weight: float = 0.3  # adjacent term pairs, against a paragraph's own terms
    title_weight: float = 0.4   # the document title's terms
    rerank: bool = True         # the fitted re-ranking of the top candidates (index/rerank.py)


def load_array(path: Path) -> np.ndarray:
    """A memory-mapped .npy array, viewed as a plain ndarray (np.memmap slicing costs extra per access)."""
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    title: str
    file: str
    sha256: str
    chars: int
    paragraphs: int
    first_paragraph: int
    byte_start: int
    byte_end: int
    pages: tuple[int, ...] = ()  # where each page starts in the text (PDF); () without pages


class SearchIndex:
    """Everything needed to answer queries, opened from one index generation."""

    def __init__(self, directory: Path, manifest: dict, engines: dict, phrase_table: np.ndarray,
                 vocab_list: list[str], rows: np.ndarray, headings: list[str], text: bytes | mmap.mmap,
                 tokens: np.ndarray, token_offsets: np.ndarray, titles: tuple[np.ndarray, np.ndarray]):
        self.directory, self.manifest = directory, manifest
        self.engine, self.phrases, self.titles = engines["body"], engines["phrases"], engines["titles"]
        self.phrase_table = phrase_table
        self.ranking = Ranking()
        self.vectors = None  # index.vectors.Vectors once attached: the semantic signal is then used
        self.vocab_list = vocab_list
        self.vocab = {term: i for i, term in enumerate(vocab_list)}
        self.rows, self.headings, self.text = rows, headings, text
        self.tokens, self.token_offsets = tokens, token_offsets
        self.title_terms = titles  # (flat, offsets): each document's title terms
        self.documents = [DocumentInfo(d["id"], d["title"], d["file"], d["sha256"], d["chars"], d["paragraphs"],
                                       d["first_paragraph"], d["bytes"][0], d["bytes"][1], tuple(d.get("pages", ())))
                          for d in manifest["documents"]]
        self.by_id = {d.id: d for d in self.documents}
        self.prefixes = rerank.prefix_groups(vocab_list)
        self.document_of = rows[:, DOC]
        self.num_paragraphs = n = len(rows)
        df = self.engine.doc_freq(np.arange(len(vocab_list), dtype=np.int64)).astype(np.float64)
        # Lucene idf per term id; the extra last entry, 0, is the idf of term id -1 (unknown)
        self.term_idf = np.append(np.where(df > 0, lucene_idf(df, n), 0.0), 0.0)

    @classmethod
    def open(cls, directory: Path, manifest: dict) -> "SearchIndex":
        settings = manifest["settings"]
        load = lambda name: load_array(directory / name)  # noqa: E731
        rows, tokens, token_offsets = load(PARAGRAPHS), load(TOKENS), load(TOKEN_OFFSETS)
        if rows.ndim != 2 or rows.shape[1] != PARAGRAPH_COLUMNS or len(token_offsets) != len(rows) + 1:
            raise ValueError("paragraph arrays have inconsistent shapes")
        vocab_list = json.loads((directory / VOCABULARY).read_text(encoding="utf-8"))
        headings = json.loads((directory / HEADINGS).read_text(encoding="utf-8"))
        with open(directory / TEXT, "rb") as f:
            size = f.seek(0, 2)
            text = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        engine_cls = ENGINES[settings["engine"]]
        params = Bm25Params(settings["bm25"]["k1"], settings["bm25"]["b"])
        phrase_table = load(PHRASE_TABLE)
        titles = load(TITLE_TOKENS), load(TITLE_OFFSETS)
        counts = np.array([d["paragraphs"] for d in manifest["documents"]], dtype=np.int64)
        field_terms = {  # only the reference engine, which keeps nothing on disk, needs these
            "body": lambda: (tokens, token_offsets),
            "phrases": lambda: build_phrases(np.asarray(tokens), np.asarray(token_offsets))[:2],
            "titles": lambda: title_field(*titles, counts)}
        engines = {name: engine_cls.load(directory, len(rows), prefix=FIELD_PREFIXES[name], params=params,
                                         terms=terms) for name, terms in field_terms.items()}
        return cls(directory, manifest, engines, phrase_table, vocab_list, rows, headings, text, tokens, token_offsets,
                   titles)

    # -- paragraphs and documents -------------------------------------------------------------

    def paragraph(self, i: int) -> Paragraph:
        row = self.rows[i]
        text = bytes(self.text[int(row[BYTE_START]):int(row[BYTE_END])]).decode("utf-8")
        heading = self.headings[int(row[HEADING])] if row[HEADING] >= 0 else None
        return Paragraph(self.documents[int(row[DOC])].id, int(row[NUMBER]), int(row[START]), int(row[END]),
                         text, heading)

    def paragraph_terms(self, i: int) -> np.ndarray:
        return self.tokens[self.token_offsets[i]:self.token_offsets[i + 1]]

    def info(self, document_id: str) -> DocumentInfo:
        try:
            return self.by_id[document_id]
        except KeyError:
            raise DocumentNotFoundError(f"no document with id {document_id!r}") from None

    def document(self, document_id: str) -> Document:
        info = self.info(document_id)
        text = bytes(self.text[info.byte_start:info.byte_end]).decode("utf-8")
        return Document(info.id, info.title, info.file, text, info.sha256, info.pages)

    def document_paragraphs(self, document_id: str) -> list[Paragraph]:
        info = self.info(document_id)
        return [self.paragraph(i) for i in range(info.first_paragraph, info.first_paragraph + info.paragraphs)]

    # -- search ---------------------------------------------------------------------------------

    def idf(self, terms: list[str]) -> np.ndarray:
        """Lucene idf per term (0 for terms not in the index)."""
        return self.term_idf[np.array([self.vocab.get(t, -1) for t in terms], dtype=np.int64)]

    def search(self, question: str, k: int = 5, vector: np.ndarray | None = None) -> list[Hit]:
        """The k best paragraphs for `question` (with its embedding `vector`, the semantic re-rank);
        EmptyQueryError when no term survives analysis."""
        terms = analysis.analyze(question)
        if not terms:
            raise EmptyQueryError("the question has no searchable words (only stopwords or punctuation)")
        return self.search_terms(dict.fromkeys(terms, 1.0), k, phrase=terms, vector=vector)

    def search_terms(self, weighted: Mapping[str, float], k: int = 5, phrase: Sequence[str] = (),
                     exclude: frozenset[str] = frozenset(), only: frozenset[str] | None = None,
                     vector: np.ndarray | None = None) -> list[Hit]:
        """The k best paragraphs for analysed terms with weights (repeated terms count once).

        `phrase` is the question's own terms in order; paragraphs with the same adjacent pairs gain.
        Paragraphs of `exclude`d documents (replaced or deleted since this index was built) never rank,
        nor, when `only` is given, those of documents not in it. With the question's `vector` and
        paragraph vectors, the re-rank reads a wider pool and adds the semantic features."""
        k = max(0, min(int(k), self.num_paragraphs))
        query = self._first_stage(weighted, phrase, exclude, only) if k else None
        if query is None:
            return []
        ids, weights, scores = query
        terms = [self.vocab_list[i] for i in ids.tolist()]
        semantic = vector is not None and self.vectors is not None and self.ranking.rerank
        pool = rerank.SEMANTIC_CANDIDATES if semantic else rerank.CANDIDATES
        order, scores = top_k(scores, max(k, pool) if self.ranking.rerank else k)
        window = min(len(order), pool) if self.ranking.rerank and len(order) > 1 else 0
        cosines = self.vectors.cosines(order[:window], vector) if semantic and window else None
        if cosines is None:  # without vectors for every candidate (not embedded yet), the lexical re-rank
            window = min(window, rerank.CANDIDATES)
        added = np.zeros(0)
        if window:  # re-rank the leading candidates; any further ones follow in first-stage order, so the
            # best k never depend on how many are asked for (each re-ranked score >= its first-stage score)
            features, holds = self._features(order[:window], scores[:window], ids, weights)
            if cosines is not None:
                features = rerank.with_cosines(features, cosines)
            reranked, added = rerank.rerank_scores(features, scores[:window])
            best = np.lexsort((order[:window], -reranked))
            order, scores = np.concatenate([order[:window][best], order[window:]]), np.concatenate(
                [reranked[best], scores[window:]])
            holds, added = holds[best][:k], added[best]
        else:
            holds = np.zeros((0, len(ids)), dtype=bool)
        order, scores = order[:k], scores[:k]
        if len(holds) < len(order):  # the question terms the hits beyond the re-ranked ones hold
            holds = np.vstack([holds, rerank.terms_held(self.tokens, self.token_offsets, order[len(holds):], ids)])
        added = np.concatenate([added, np.zeros(max(0, len(order) - len(added)))]).round(4).tolist()
        return [Hit(self.paragraph(i), round(float(score), 4), tuple(t for t, h in zip(terms, row) if h), part)
                for i, score, row, part in zip(order.tolist(), scores.tolist(), holds.tolist(), added)]

    def rerank_candidates(self, weighted: Mapping[str, float], phrase: Sequence[str] = (),
                          vector: np.ndarray | None = None):
        """(paragraph numbers, their re-ranking features) for the first-stage candidates, best first;
        what `docqa eval fit-ranking` learns the re-ranking weights from (with `vector`, the semantic
        pool and features). None if no term is known."""
        query = self._first_stage(weighted, phrase, frozenset(), None)
        if query is None:
            return None
        ids, weights, scores = query
        semantic = vector is not None and self.vectors is not None
        pool = rerank.SEMANTIC_CANDIDATES if semantic else rerank.CANDIDATES
        order, scores = top_k(scores, min(pool, self.num_paragraphs))
        features = self._features(order, scores, ids, weights)[0]
        if semantic:
            cosines = self.vectors.cosines(order, vector)
            if cosines is None:
                raise ValueError("some paragraphs have no vector; run the embedding pass first")
            features = rerank.with_cosines(features, cosines)
        return order, features

    def _first_stage(self, weighted: Mapping[str, float], phrase: Sequence[str], exclude: frozenset[str],
                     only: frozenset[str] | None):
        """(term ids, their weights, every paragraph's body + title + phrase score), or None."""
        known = [(self.vocab[t], w) for t, w in weighted.items() if t in self.vocab and w > 0]
        if not known:
            return None
        ids = np.array([i for i, _ in known], dtype=np.int64)
        weights = np.array([w for _, w in known], dtype=np.float32)
        ranking = self.ranking
        scores = self.engine.scores(ids, weights)
        if ranking.title_weight:
            self.titles.scores(ids, weights * np.float32(ranking.title_weight), out=scores)
        pairs = query_pair_ids(self.phrase_table, self.phrase_ids(phrase))
        if len(pairs) and ranking.phrase_weight:
            self.phrases.scores(pairs, np.full(len(pairs), ranking.phrase_weight, dtype=np.float32), out=scores)
        self.drop_documents(scores, exclude, only)
        return ids, weights, scores

    def drop_documents(self, scores: np.ndarray, exclude: frozenset[str], only: frozenset[str] | None = None) -> None:
        """Zero the scores of the `exclude`d documents' paragraphs and, with `only`, of every document not in it."""
        if only is not None:
            keep = np.zeros(len(scores), dtype=bool)
            for document_id in only & self.by_id.keys():
                info = self.by_id[document_id]
                keep[info.first_paragraph:info.first_paragraph + info.paragraphs] = True
            scores[~keep] = 0
        for document_id in exclude & self.by_id.keys():
            info = self.by_id[document_id]
            scores[info.first_paragraph:info.first_paragraph + info.paragraphs] = 0

    def phrase_ids(self, phrase: Sequence[str]) -> list[int]:
        """The question's term ids in order for query_pair_ids: -1 for a term the corpus lacks, and a -1
        between a compound's joined word and its own first part, which are not two words side by side."""
        ids = []
        for previous, term in zip(("",) + tuple(phrase), phrase):
            if analysis.joined_then_part(previous, term):
                ids.append(-1)
            ids.append(self.vocab.get(term, -1))
        return ids

    def _features(self, order: np.ndarray, scores: np.ndarray, ids: np.ndarray, weights: np.ndarray):
        return rerank.candidate_features(order, scores.astype(np.float64), self.tokens, self.token_offsets, ids,
                                         self.term_idf[ids] * weights, self.prefixes, self.document_of,
                                         self.title_terms)
