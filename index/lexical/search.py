"""A loaded index: memory-mapped arrays, the vocabulary, and BM25 search returning Hits."""

from __future__ import annotations

import json
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from index import analysis, rerank
from index.documents import Document, Paragraph
from index.errors import DocumentNotFoundError, EmptyQueryError
from index.hits import Candidates, Hit, rank, wanted
from index.lexical.bm25 import Bm25Params, lucene_idf, phrase_lengths, query_pairs
from index.lexical.engines import ENGINES, top_k
from index.lexical.fields import build_phrases, phrase_pair_ids, title_field
from index.store.layout import (BYTE_END, BYTE_START, DOC, FIELD_PREFIXES, HEADING, HEADINGS, NUMBER, PARAGRAPH_COLUMNS,
                     PARAGRAPHS, PHRASE_TABLE, START, END, TEXT, TITLE_OFFSETS, TITLE_TOKENS, TOKEN_OFFSETS, TOKEN_SPANS, TOKENS,
                     VOCABULARY)

if TYPE_CHECKING:  # index.semantic.vectors imports this module
    from index.semantic.vectors import Vectors


DEFAULT_K = 5  # hits a search returns unless asked for another number (the API's default top_k)


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
                 tokens: np.ndarray, token_offsets: np.ndarray, token_spans: np.ndarray,
                 titles: tuple[np.ndarray, np.ndarray]):
        self.directory, self.manifest = directory, manifest
        self.engine, self.phrases, self.titles = engines["body"], engines["phrases"], engines["titles"]
        self.phrase_table = phrase_table
        self.ranking = rerank.ranking()
        self.vectors: Vectors | None = None  # once attached, the semantic signal is used
        self.vocab_list = vocab_list
        self.vocab = {term: i for i, term in enumerate(vocab_list)}
        self.rows, self.headings, self.text = rows, headings, text
        self.tokens, self.token_offsets, self.token_spans = tokens, token_offsets, token_spans
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
        rows, tokens, token_offsets, spans = load(PARAGRAPHS), load(TOKENS), load(TOKEN_OFFSETS), load(TOKEN_SPANS)
        if rows.ndim != 2 or rows.shape[1] != PARAGRAPH_COLUMNS or len(token_offsets) != len(rows) + 1 \
                or spans.shape != (len(tokens), 2):
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
                   spans, titles)

    # -- paragraphs and documents -------------------------------------------------------------

    @property
    def num_documents(self) -> int:
        return len(self.documents)

    def uses_vectors(self) -> bool:
        return self.vectors is not None

    def begin_request(self) -> None:
        """Nothing to record: one process answers the whole request."""

    def missing_shards(self) -> list[str]:
        return []

    def paragraph(self, i: int) -> Paragraph:
        row = self.rows[i]
        text = bytes(self.text[int(row[BYTE_START]):int(row[BYTE_END])]).decode("utf-8")
        heading = self.headings[int(row[HEADING])] if row[HEADING] >= 0 else None
        return Paragraph(self.documents[int(row[DOC])].id, int(row[NUMBER]), int(row[START]), int(row[END]),
                         text, heading)

    def field_lengths(self) -> dict[str, np.ndarray]:
        """Every paragraph's length in each BM25 field (index/lexical/bm25.py)."""
        lengths = np.diff(self.token_offsets)
        counts = np.array([d.paragraphs for d in self.documents], dtype=np.int64)
        return {"body": lengths, "phrases": phrase_lengths(lengths),
                "titles": np.repeat(np.diff(self.title_terms[1]), counts)}

    def paragraph_terms(self, i: int) -> np.ndarray:
        return self.tokens[self.token_offsets[i]:self.token_offsets[i + 1]]

    def term_spans(self, i: int) -> tuple[tuple[str, int, int], ...]:
        """Paragraph i's terms with their offsets in its text, as stored at indexing (analyze_spans's,
        without the heading's): what marks the matched words without analysing the text again."""
        start, end = self.token_offsets[i], self.token_offsets[i + 1]
        vocab = self.vocab_list
        return tuple((vocab[t], s, e) for t, (s, e) in zip(self.tokens[start:end].tolist(),
                                                             self.token_spans[start:end].tolist()) if s >= 0)

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

    def document_paragraph(self, document_id: str, number: int) -> Paragraph:
        info = self.info(document_id)
        if not 1 <= number <= info.paragraphs:
            raise IndexError(f"{document_id} has no paragraph {number}")
        return self.paragraph(info.first_paragraph + number - 1)

    # -- search ---------------------------------------------------------------------------------

    def idf(self, terms: list[str]) -> np.ndarray:
        """Lucene idf per term (0 for terms not in the index)."""
        return self.term_idf[np.array([self.vocab.get(t, -1) for t in terms], dtype=np.int64)]

    def search(self, question: str, k: int = DEFAULT_K, vector: np.ndarray | None = None) -> list[Hit]:
        """The k best paragraphs for `question` (with its embedding `vector`, the semantic re-rank);
        EmptyQueryError when no term survives analysis."""
        terms = analysis.analyze(question)
        if not terms:
            raise EmptyQueryError("the question has no searchable words (only stopwords or punctuation)")
        return self.search_terms(dict.fromkeys(terms, 1.0), k, phrase=terms, vector=vector)

    def search_terms(self, weighted: Mapping[str, float], k: int = DEFAULT_K, phrase: Sequence[str] = (),
                     exclude: frozenset[str] = frozenset(), only: frozenset[str] | None = None,
                     vector: np.ndarray | None = None) -> list[Hit]:
        """The k best paragraphs for analysed terms with weights (repeated terms count once).

        `phrase` is the question's own terms in order; paragraphs with the same adjacent pairs gain.
        Paragraphs of `exclude`d documents (replaced or deleted since this index was built) never rank,
        nor, when `only` is given, those of documents not in it. With the question's `vector` and
        paragraph vectors, the re-rank reads a wider pool and adds the semantic features (index/hits.py)."""
        k = max(0, min(int(k), self.num_paragraphs))
        semantic = vector is not None and self.vectors is not None
        found = self.candidates(weighted, wanted(k, semantic, self.ranking.rerank), phrase, exclude, only) if k else None
        return rank(found, k, vector if semantic else None, self.ranking.rerank) if found is not None else []

    def candidates(self, weighted: Mapping[str, float], count: int, phrase: Sequence[str] = (),
                   exclude: frozenset[str] = frozenset(), only: frozenset[str] | None = None) -> Candidates | None:
        """The `count` best first-stage candidates (index/hits.py), or None when no term is known."""
        query = self._first_stage(weighted, phrase, exclude, only)
        if query is None:
            return None
        ids, weights, scores = query
        order, best = top_k(scores, min(count, self.num_paragraphs))
        paragraphs = order.tolist()
        documents = self.document_of[order]
        title_flat, title_offsets = self.title_terms
        numbers = {d: n for n, d in enumerate(dict.fromkeys(documents.tolist()))}
        vectors = self.vectors
        return Candidates(
            best, [self.paragraph_terms(i) for i in paragraphs],
            [self.paragraph_terms(i - 1) if i > 0 and self.document_of[i - 1] == d else None
             for i, d in zip(paragraphs, documents.tolist())],
            [numbers[d] for d in documents.tolist()],
            [title_flat[title_offsets[d]:title_offsets[d + 1]] for d in numbers], order, ids,
            self.term_idf[ids] * weights, [self.vocab_list[i] for i in ids.tolist()], self.prefixes,
            lambda n: self.paragraph(paragraphs[n]),
            (lambda n: vectors.rows(order[:n])) if vectors is not None else None,
            lambda n: self.term_spans(paragraphs[n]))

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
        pairs = phrase_pair_ids(self.phrase_table, self.vocab, query_pairs(phrase))
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
