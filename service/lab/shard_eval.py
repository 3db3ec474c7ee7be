"""The sharded engine against the embedded one: the same SQuAD index, served by local xapian-tcpsrv shards.

`docqa eval shards` compares first-stage candidates question by question (top-1 agreement, overlap@5,
largest score difference); `docqa eval squad --engine xapian` runs the whole answer pipeline on shards.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from index import analysis
from index.lexical.engines import top_k
from index.shards.sharded import ShardedIndex

from ..shard_servers import served_shards
from .evaluation import load_squad, squad_index, timed

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
                             progress: Callable[[int, int], None] | None = None) -> dict:
    """First-stage candidates of every SQuAD question from the embedded engine and from `shards` shards."""
    started = time.perf_counter()
    articles, questions = load_squad(path)
    questions = questions[:limit] if limit else questions
    with tempfile.TemporaryDirectory(prefix="docqa-shards-") as tmp:
        index, _ = squad_index(articles, Path(tmp))
        with served_shards(index, Path(tmp), shards) as remote:
            figures = first_stage_agreement(index, remote, [q.question for q in questions], progress)
    return {**figures, "shards": shards, "paragraphs": index.num_paragraphs,
            "seconds": round(time.perf_counter() - started, 1)}


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
