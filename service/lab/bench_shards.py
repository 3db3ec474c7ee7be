"""`docqa bench --engine xapian --shards N`: the same generated corpus and questions on local Xapian shards,
timed side by side with the embedded engine (alternating per question), then over HTTP when asked."""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path
from typing import Callable

from index import load_index, semantic
from index.shards.build import build_shards
from index.shards.client import ShardSet
from index.shards.sharded import ShardedIndex
from index.semantic.vectors import attach

from ..shard_servers import local_shards
from .bench import _percentile, _time_each
from .bench_http import BENCH_TOKEN


def _folder_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20, 1)


def _group_rss_mb(process_groups: set[int]) -> float:
    """The resident memory of every process in these process groups (a shard server and its connections)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) in process_groups:
                total += int(fields[21]) * 4096  # rss in pages
        except (OSError, IndexError, ValueError):
            continue
    return round(total / 2**20, 1)


def run_shard_bench(instance: Path, paragraphs: int, seed: int, shards: int, qs: list[str],
                    http: Callable[[dict], dict] | None = None, with_semantic: bool = True,
                    log: Callable[[str], None] = lambda m: None) -> dict:
    """Export the bench's embedded index (with the vectors `run_semantic_bench` wrote, when semantic) into
    `shards` shards, serve them on 127.0.0.1, and time the shards lexical and semantic against the
    embedded engine, alternating per question; then over HTTP, a query node lexical and semantic."""
    index = load_index(instance / "bench" / f"index-{paragraphs}-{seed}", verify=False)
    index.vectors = attach(index) if with_semantic else None
    out = instance / "bench" / f"shards-{paragraphs}-{seed}-{shards}"
    shutil.rmtree(out, ignore_errors=True)
    log(f"exporting {index.num_paragraphs} paragraphs into {shards} Xapian shards"
        + (" with their vectors" if index.vectors is not None else ""))
    started = time.perf_counter()
    report = build_shards(index, out, shards)
    export_s = time.perf_counter() - started
    with local_shards(out, shards, write_token=BENCH_TOKEN if http is not None else None) as servers:
        shard_set = ShardSet([(s.host, s.port) for s in servers])
        remote = ShardedIndex(shard_set)
        questions = semantic.query_embedder() if index.vectors is not None else None
        runs: dict[str, tuple[Callable[[str], object], list[float]]] = {
            "sharded": (lambda q: remote.search(q, 10), []), "embedded": (lambda q: index.search(q, 10), [])}
        if questions is not None:  # the question's embedding is part of the semantic time, as on one machine
            runs["semantic"] = (lambda q: remote.search(q, 10, vector=questions.question(q)), [])
        for q in qs[:20]:
            for run, _ in runs.values():
                run(q)  # warm up
        log(f"{len(qs)} queries through {len(runs)} engines, alternating")
        for i, q in enumerate(qs):
            order = list(runs.values())
            for run, times in order if i % 2 == 0 else order[::-1]:
                times += _time_each(run, [q])
        sharded, embedded = runs["sharded"][1], runs["embedded"][1]
        figures = {"xapian_shards": shards, "xapian_export_seconds": round(export_s, 2),
                   "xapian_paragraphs_per_second": round(report.paragraphs / export_s),
                   "xapian_shards_mb": _folder_mb(out),
                   "xapian_engine_p50_ms": round(statistics.median(sharded), 3),
                   "xapian_engine_p99_ms": round(_percentile(sharded, 99), 3),
                   "embedded_engine_alternating_p50_ms": round(statistics.median(embedded), 3),
                   "embedded_engine_alternating_p99_ms": round(_percentile(embedded, 99), 3)}
        if "semantic" in runs:
            on = runs["semantic"][1]
            figures.update({"xapian_paragraphs_with_vectors": sum(v.get("vectors", 0) for v in remote.vector_states()),
                            "xapian_semantic_engine_p50_ms": round(statistics.median(on), 3),
                            "xapian_semantic_engine_p99_ms": round(_percentile(on, 99), 3),
                            "xapian_semantic_cost_ratio": round(statistics.median(on) / statistics.median(sharded), 2)})
        shard_set.close()
        if http is not None:
            env = {"DOCQA_ENGINE": "xapian", "DOCQA_SHARDS": ",".join(s.address for s in servers),
                   "DOCQA_SHARD_WRITERS": ",".join(s.write_address for s in servers)}
            log("HTTP: a real docqa serve on the shards, lexical")
            figures.update({"xapian_" + k: v for k, v in http({**env, "DOCQA_SEMANTIC": "0"}).items()})
            if "semantic" in runs:
                log("HTTP: the same with the semantic signal")
                figures.update({"xapian_semantic_" + k: v for k, v in http({**env, "DOCQA_SEMANTIC": "1"}).items()})
        figures["xapian_shard_servers_rss_mb"] = _group_rss_mb({s.process.pid for s in servers})
    return figures
