"""`docqa bench --engine xapian --shards N`: the same generated corpus and questions on local Xapian shards,
timed side by side with the embedded engine (alternating per question), then over HTTP when asked."""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path
from typing import Callable

from index import load_index
from index.shards.build import build_shards
from index.shards.client import ShardSet
from index.shards.sharded import ShardedIndex

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
                    http: Callable[[dict], dict] | None = None, log: Callable[[str], None] = lambda m: None) -> dict:
    """Export the bench's embedded index into `shards` shards, serve them on 127.0.0.1, and time both engines."""
    index = load_index(instance / "bench" / f"index-{paragraphs}-{seed}", verify=False)
    out = instance / "bench" / f"shards-{paragraphs}-{seed}-{shards}"
    shutil.rmtree(out, ignore_errors=True)
    log(f"exporting {index.num_paragraphs} paragraphs into {shards} Xapian shards")
    started = time.perf_counter()
    report = build_shards(index, out, shards)
    export_s = time.perf_counter() - started
    with local_shards(out, shards, write_token=BENCH_TOKEN if http is not None else None) as servers:
        shard_set = ShardSet([(s.host, s.port) for s in servers])
        remote = ShardedIndex(shard_set)
        for q in qs[:20]:
            remote.search(q, 10), index.search(q, 10)  # warm up
        log(f"{len(qs)} queries through both engines, alternating")
        sharded: list[float] = []
        embedded: list[float] = []
        for i, q in enumerate(qs):
            pairs = ((remote, sharded), (index, embedded))
            for engine, times in pairs if i % 2 == 0 else pairs[::-1]:
                times += _time_each(lambda q, engine=engine: engine.search(q, 10), [q])
        figures = {"xapian_shards": shards, "xapian_export_seconds": round(export_s, 2),
                   "xapian_paragraphs_per_second": round(report.paragraphs / export_s),
                   "xapian_shards_mb": _folder_mb(out),
                   "xapian_engine_p50_ms": round(statistics.median(sharded), 3),
                   "xapian_engine_p99_ms": round(_percentile(sharded, 99), 3),
                   "embedded_engine_alternating_p50_ms": round(statistics.median(embedded), 3),
                   "embedded_engine_alternating_p99_ms": round(_percentile(embedded, 99), 3)}
        shard_set.close()
        if http is not None:
            log("HTTP: a real docqa serve on the shards")
            served = http({"DOCQA_ENGINE": "xapian", "DOCQA_SHARDS": ",".join(s.address for s in servers),
                           "DOCQA_SHARD_WRITERS": ",".join(s.write_address for s in servers), "DOCQA_SEMANTIC": "0"})
            figures.update({"xapian_" + k: v for k, v in served.items()})
        figures["xapian_shard_servers_rss_mb"] = _group_rss_mb({s.process.pid for s in servers})
    return figures
