"""The sharded engine against the embedded one: the same SQuAD index, served by local xapian-tcpsrv shards.

`docqa eval shards` compares first-stage candidates question by question (top-1 agreement, overlap@5,
largest score difference), then the ranked hits (with semantic on, re-ranked with the vectors that
travel with the shards); `docqa eval squad --engine xapian` runs the whole answer pipeline on shards.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from index import analysis
from index.lexical.engines import top_k
from index.semantic import model as semantic_model
from index.shards.sharded import ShardedIndex

from ..shard_servers import served_shards
from .evaluation import load_squad, squad_index, timed, with_semantic

CUTOFF = 5


def embedded_first_stage(index, terms: list[str], k: int) -> list[tuple[tuple[str, int], float]]:
    query = index._first_stage(dict.fromkeys(terms, 1.0), terms, frozenset(), None)
    if query is None:
        return []
    order, scores = top_k(query[2], k)
    return [((p.document_id, p.number), float(s)) for p, s in zip(map(index.paragraph, order.tolist()), scores.tolist())]


def sharded_first_stage(remote: ShardedIndex, terms: list[str], k: int) -> list[tuple[tuple[str, int], float]]:
    first = remote.first_stage(dict.fromkeys(terms, 1.0), k, terms)
    return [((d["d"], d["n"]), s) for s, d in first[2]] if first else []


def evaluate_shard_agreement(path: Path, shards: int = 3, limit: int | None = None,
                             progress: Callable[[int, int], None] | None = None, semantic: bool = True,
                             embedding: Callable[[int, int], None] | None = None) -> dict:
    """First-stage candidates, then ranked hits, of every SQuAD question from the embedded engine and from
    `shards` shards of it."""
    started = time.perf_counter()
    articles, questions = load_squad(path)
    questions = questions[:limit] if limit else questions
    with tempfile.TemporaryDirectory(prefix="docqa-shards-") as tmp:
        index, _ = squad_index(articles, Path(tmp))
        ranking = with_semantic(index, semantic, embedding)
        with served_shards(index, Path(tmp), shards) as remote:
            asked = [q.question for q in questions]
            figures = first_stage_agreement(index, remote, asked, progress)
            figures.update(ranked_agreement(index, remote, asked, ranking["semantic"], progress))
    return {**figures, **ranking, "shards": shards, "paragraphs": index.num_paragraphs,
            "seconds": round(time.perf_counter() - started, 1)}


def ranked_agreement(index, remote: ShardedIndex, questions: list[str], semantic: bool,
                     progress: Callable[[int, int], None] | None = None) -> dict:
    """The k=5 hits each engine returns after the re-rank (with the question's vector when `semantic`):
    top-1 agreement, overlap@5, and the largest score difference (the int8 vectors' share of it)."""
    embedder = semantic_model.query_embedder() if semantic else None
    same_top, overlap, largest, asked = 0, 0.0, 0.0, 0
    for i, question in enumerate(questions, 1):
        terms = analysis.analyze(question)
        if terms:
            vector = embedder.question(question) if embedder is not None else None
            mine, theirs = (engine.search_terms(dict.fromkeys(terms, 1.0), CUTOFF, phrase=terms, vector=vector)
                            for engine in (index, remote))
            keys = [[(h.paragraph.document_id, h.paragraph.number) for h in hits] for hits in (mine, theirs)]
            asked += 1
            same_top += keys[0][:1] == keys[1][:1]
            overlap += len(set(keys[0]) & set(keys[1])) / max(len(keys[0]), 1)
            scores = dict(zip(keys[1], (h.score for h in theirs)))
            largest = max([largest] + [abs(h.score - scores[k]) for k, h in zip(keys[0], mine) if k in scores])
        if progress:
            progress(i, len(questions))
    return {"ranked_top1_agreement": round(same_top / max(asked, 1), 4),
            f"ranked_overlap_at_{CUTOFF}": round(overlap / max(asked, 1), 4),
            "ranked_largest_score_difference": round(largest, 4)}


def first_stage_agreement(index, remote: ShardedIndex, questions: list[str],
                          progress: Callable[[int, int], None] | None = None) -> dict:
    """Top-1 agreement, overlap@5 and the largest relative score difference of the two engines' first stages."""
    same_top, overlap, largest, asked = 0, 0.0, 0.0, 0
    latencies: dict[str, list[float]] = {"embedded": [], "sharded": []}
    for i, question in enumerate(questions, 1):
        terms = analysis.analyze(question)
        if terms:
            mine = timed(lambda terms=terms: embedded_first_stage(index, terms, CUTOFF), latencies["embedded"])
            theirs = timed(lambda terms=terms: sharded_first_stage(remote, terms, CUTOFF), latencies["sharded"])
            asked += 1
            same_top += bool(mine) == bool(theirs) and (not mine or mine[0][0] == theirs[0][0])
            overlap += len({p for p, _ in mine} & {p for p, _ in theirs}) / max(len(mine), 1)
            scores = dict(theirs)
            largest = max([largest] + [abs(s - scores[p]) / max(s, 1.0) for p, s in mine if p in scores])
        if progress:
            progress(i, len(questions))
    return {"questions": asked, "top1_agreement": round(same_top / max(asked, 1), 4),
            f"overlap_at_{CUTOFF}": round(overlap / max(asked, 1), 4),
            "largest_relative_score_difference": float(f"{largest:.2e}"),
            "embedded_p50_ms": round(statistics.median(latencies["embedded"]), 3) if asked else 0.0,
            "sharded_p50_ms": round(statistics.median(latencies["sharded"]), 3) if asked else 0.0}
