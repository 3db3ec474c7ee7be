"""Correctness of the benchmark and of the fast engine (timings belong to `docqa bench`, not tests)."""

import json
import subprocess

from index import build_index, load_index
from service.lab.bench import generate_corpus, generate_queries, seed_texts_from
from tests.conftest import DOCQA, REPO

KEYS = {"paragraphs", "documents", "queries", "index_seconds", "paragraphs_per_second", "index_mb", "load_seconds",
        "engine_p50_ms", "engine_p99_ms", "full_ranking_p50_ms", "plain_bm25_p50_ms", "ranking_cost_ratio",
        "bm25s_p50_ms", "rank_bm25_p50_ms", "speedup_vs_rank_bm25", "speedup_vs_bm25s", "engine_rss_mb", "peak_rss_mb",
        "embed_paragraphs_per_second", "vectors_mb", "semantic_p50_ms", "lexical_p50_ms", "semantic_cost_ratio",
        "xapian_export_seconds", "xapian_paragraphs_per_second", "xapian_shards_mb", "xapian_engine_p50_ms",
        "xapian_engine_p99_ms", "embedded_engine_alternating_p50_ms", "xapian_shard_servers_rss_mb",
        "xapian_semantic_engine_p50_ms", "xapian_semantic_engine_p99_ms", "xapian_semantic_cost_ratio"}


def _texts():
    return seed_texts_from(REPO / "docs_corpus")


def test_generated_corpus_is_deterministic_for_a_seed(tmp_path):
    generate_corpus(tmp_path / "a", 1500, 3, _texts())
    generate_corpus(tmp_path / "b", 1500, 3, _texts())
    generate_corpus(tmp_path / "c", 1500, 4, _texts())
    read = lambda d: [(p.name, p.read_bytes()) for p in sorted(d.iterdir())]  # noqa: E731
    assert read(tmp_path / "a") == read(tmp_path / "b") != read(tmp_path / "c")
    assert len(list((tmp_path / "a").iterdir())) == 2
    assert generate_queries(50, 3, _texts()) == generate_queries(50, 3, _texts())


def test_fast_engine_matches_the_reference_on_a_generated_corpus(tmp_path):
    generate_corpus(tmp_path / "corpus", 3000, 5, _texts())
    build_index(tmp_path / "corpus", tmp_path / "fast", engine="bm25s")
    build_index(tmp_path / "corpus", tmp_path / "ref", engine="rank-bm25")
    fast, ref = load_index(tmp_path / "fast"), load_index(tmp_path / "ref")
    assert fast.num_paragraphs == ref.num_paragraphs == 3000
    compared = 0
    for question in generate_queries(60, 5, _texts()):
        a, b = fast.search(question, 10), ref.search(question, 10)
        key = lambda hits: [(h.paragraph.document_id, h.paragraph.number) for h in hits]  # noqa: E731
        if key(a) != key(b):  # only float32 ties may swap places
            assert [round(h.score, 3) for h in a] == [round(h.score, 3) for h in b]
        compared += len(a)
    assert compared > 300


def test_bench_prints_every_figure_as_one_json_line(tmp_path):
    out = subprocess.run([DOCQA, "bench", "--paragraphs", "2000", "--queries", "60", "--embed-sample", "40", "--json",
                          "--engine", "xapian", "--shards", "2", "--cache-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert KEYS <= set(figures)
    assert figures["paragraphs"] == 2000 and figures["queries"] == 60 and figures["xapian_shards"] == 2
    assert figures["xapian_paragraphs_with_vectors"] == 2000  # the shards' semantic figures used every vector
    assert all(isinstance(figures[k], (int, float)) and figures[k] > 0 for k in KEYS)
