"""`docqa eval table`: the EVALUATION.md table, every row measured in one run on this machine.

Rows: two baselines (rank-bm25 on whitespace tokens; bm25s with a Snowball stemmer and its English
stopwords), then docqa's analysis with body BM25 only, and each ranking step added in turn.
Retrieval only: SQuAD top1/top5/top20/MRR of the gold paragraph, SciFact nDCG@10/recall@100, and the
median query latency on SQuAD.
"""

from __future__ import annotations

from dataclasses import replace

import re
import statistics
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from index import semantic
from index.errors import EmptyQueryError
from index.rerank import ranking
from index.semantic.vectors import ensure_vectors

from .evaluation import beir_figures, beir_index, load_beir, load_squad, retrieval_figures, squad_index, timed

def steps() -> list:
    """Each ranking step, added in turn to the one before (the model file's settings, read when run)."""
    full = ranking()
    return [
        ("docqa analysis, body BM25 only", replace(full, phrase_weight=0.0, title_weight=0.0, rerank=False)),
        (f"+ phrase field (adjacent term pairs, {full.phrase_weight:g})", replace(full, title_weight=0.0, rerank=False)),
        (f"+ title field ({full.title_weight:g})", replace(full, rerank=False)),
        (f"+ learned re-rank of the top {full.candidates}: window, local coverage with title terms, near miss, "
         "same document, previous paragraph (lexical default)", full),
    ]
SEMANTIC_STEP = "+ semantic: the top 30 re-ranked with MiniLM cosines as two more features (default)"


def _squad_rows(ranked_contexts: Callable[[str], list[int]], questions) -> tuple[dict, float]:
    ranks: list[int | None] = []
    latencies: list[float] = []
    for q in questions:
        contexts = timed(lambda q=q: ranked_contexts(q.question), latencies)
        ranks.append(contexts.index(q.context) + 1 if q.context in contexts else None)
    return retrieval_figures(ranks), statistics.median(latencies)


def _baselines(articles, questions, corpus, queries, qrels) -> list[tuple[str, dict]]:
    import bm25s
    from nltk.stem.snowball import SnowballStemmer
    from rank_bm25 import BM25Okapi

    contexts = [c for _, cs in articles for c in cs]
    doc_ids = list(corpus)
    doc_texts = [f"{t} {x}" for t, x in corpus.values()]
    rows = []

    words = lambda text: re.findall(r"\w+", text.lower())  # noqa: E731  (whitespace split, punctuation dropped)
    okapi_squad = BM25Okapi([words(c) for c in contexts])
    okapi_beir = BM25Okapi([words(t) for t in doc_texts])
    top = lambda scores, k: np.argsort(-scores, kind="stable")[:k].tolist()  # noqa: E731
    squad, p50 = _squad_rows(lambda q: top(okapi_squad.get_scores(words(q)), 20), questions)
    beir = beir_figures({qid: [doc_ids[i] for i in top(okapi_beir.get_scores(words(queries[qid])), 100)]
                         for qid in qrels}, qrels)
    rows.append(("rank-bm25 BM25Okapi, lower-cased words", {**squad, **beir, "p50_ms": p50}))

    snowball = SnowballStemmer("english").stem
    stem = lambda words: [snowball(w) for w in words]  # noqa: E731  (bm25s stems the unique tokens at once)
    tokenize = lambda texts: bm25s.tokenize(texts, stopwords="en", stemmer=stem, show_progress=False)  # noqa: E731
    model_squad, model_beir = bm25s.BM25(), bm25s.BM25()
    model_squad.index(tokenize(contexts), show_progress=False)
    model_beir.index(tokenize(doc_texts), show_progress=False)

    def retrieve(model, text, k):
        tokens = tokenize([text])
        if not tokens.ids[0]:
            return []
        found, _ = model.retrieve(tokens, k=min(k, model.scores["num_docs"]), show_progress=False, n_threads=1)
        return found[0].tolist()

    squad, p50 = _squad_rows(lambda q: retrieve(model_squad, q, 20), questions)
    beir = beir_figures({qid: [doc_ids[i] for i in retrieve(model_beir, queries[qid], 100)] for qid in qrels}, qrels)
    rows.append(("bm25s, Snowball stemmer + its English stopwords", {**squad, **beir, "p50_ms": p50}))
    return rows


def evaluation_table(squad_path: Path, beir_dir: Path, log: Callable[[str], None] = lambda m: None) -> list[tuple[str, dict]]:
    articles, questions = load_squad(squad_path)
    corpus, queries, qrels = load_beir(beir_dir)
    log("baselines")
    rows = _baselines(articles, questions, corpus, queries, qrels)
    with tempfile.TemporaryDirectory(prefix="docqa-table-") as tmp:
        squad, context_of = squad_index(articles, Path(tmp) / "squad")
        beir, file_ids = beir_index(corpus, Path(tmp) / "beir")

        def squad_contexts(question: str) -> list[int]:
            try:
                hits = squad.search(question, 20, vector=embed(question) if with_vectors else None)
            except EmptyQueryError:
                return []
            return list(dict.fromkeys(context_of(h.paragraph) for h in hits))

        runs = [(name, settings, False) for name, settings in steps()]
        if semantic.available():
            runs.append((SEMANTIC_STEP, ranking(), True))
        for name, settings, with_vectors in runs:
            log(name)
            if with_vectors:
                ensure_vectors(squad)
                ensure_vectors(beir)
                embed = semantic.query_embedder().question
            squad.ranking = beir.ranking = settings
            figures, p50 = _squad_rows(squad_contexts, questions)
            rankings = {}
            for qid in qrels:
                try:
                    hits = beir.search(queries[qid], 300, vector=embed(queries[qid]) if with_vectors else None)
                except EmptyQueryError:
                    hits = []
                rankings[qid] = list(dict.fromkeys(file_ids[h.paragraph.document_id] for h in hits))
            rows.append((name, {**figures, **beir_figures(rankings, qrels), "p50_ms": p50}))
    return rows


def markdown(rows: list[tuple[str, dict]]) -> str:
    lines = ["| ranking | SQuAD top1 | top5 | top20 | MRR | SciFact nDCG@10 | recall@100 | p50 ms (SQuAD) |",
             "|---|---|---|---|---|---|---|---|"]
    for name, f in rows:
        lines.append(f"| {name} | {f['top1']:.4f} | {f['top5']:.4f} | {f['top20']:.4f} | {f['mrr']:.4f} | "
                     f"{f['ndcg@10']:.4f} | {f['recall@100']:.4f} | {f['p50_ms']:.3f} |")
    return "\n".join(lines)
