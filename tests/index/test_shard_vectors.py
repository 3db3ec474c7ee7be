"""The semantic signal on Xapian shards (issue #36), with real xapian-tcpsrv shards and the real model:
vectors exported with their paragraphs, re-scored by the query node, embedded on a shard's own host
(`docqa shard embed`, resumable after a kill), and a lexical ranking wherever a candidate has none."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from index import analysis, load_index
from index.semantic import model as semantic
from index.semantic.vectors import attach
from index.shards.bindings import xapian
from index.shards.build import build_shards
from index.shards.client import ShardSet
from index.shards.embed import vector_state
from index.shards.format import VECTOR_SLOT, pack_vector, shard_name, unpack_vector
from index.shards.sharded import ShardedIndex
from service.shard_servers import local_shards
from tests.index.test_shards import paragraph_queries

SHARDS = 3


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, seed_index_template):
    """The seed corpus's embedded index with its vectors (the session's template, copied)."""
    root = tmp_path_factory.mktemp("shard-vectors")
    shutil.copytree(seed_index_template, root / "index")
    index = load_index(root / "index")
    index.vectors = attach(index, verify=True)
    assert index.vectors is not None and index.vectors.done == index.num_paragraphs
    return index, root


def _keys(hits):
    return [(h.paragraph.document_id, h.paragraph.number) for h in hits]


def _ask(engine, question: str, vector):
    terms = analysis.analyze(question)
    return engine.search_terms(dict.fromkeys(terms, 1.0), 5, phrase=terms, vector=vector)


def test_a_packed_vector_keeps_its_cosines_within_a_few_thousandths():
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((500, semantic.DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    question = vectors[0]
    packed = [pack_vector(v) for v in vectors]
    assert {len(p) for p in packed} == {semantic.DIMENSIONS}  # a byte a component
    unpacked = np.stack([unpack_vector(p, semantic.DIMENSIONS) for p in packed])
    assert np.abs(unpacked @ question - vectors @ question).max() < 0.003
    assert unpack_vector(b"", semantic.DIMENSIONS) is None and unpack_vector(b"\x01" * 7, semantic.DIMENSIONS) is None


def test_vectors_travel_with_their_shard_and_rank_as_the_embedded_engine(embedded):
    index, root = embedded
    build_shards(index, root / "shards", SHARDS)
    questions = semantic.query_embedder()
    with local_shards(root / "shards", SHARDS) as servers:
        shard_set = ShardSet([(s.host, s.port) for s in servers])
        remote = ShardedIndex(shard_set)
        assert remote.uses_vectors()
        held = [s for s in remote.vector_states() if s["paragraphs"]]
        assert held and all(s["state"] == "complete" for s in held)
        same_first = same_order = 0
        asked = paragraph_queries(index)
        for question in asked:
            vector = questions.question(question)
            mine, theirs = _ask(index, question, vector), _ask(remote, question, vector)
            same_first += _keys(mine)[:1] == _keys(theirs)[:1]
            same_order += _keys(mine) == _keys(theirs)
            scores = {k: h.score for k, h in zip(_keys(mine), mine)}
            assert all(abs(scores[k] - h.score) < 0.05 for k, h in zip(_keys(theirs), theirs) if k in scores)
        assert same_first == len(asked) and same_order >= 0.95 * len(asked)
        semantic_hits = [_ask(remote, q, questions.question(q)) for q in asked[:10]]
        assert any(h.semantic != 0 for hits in semantic_hits for h in hits)  # the signal is really on
        off = ShardedIndex(shard_set, semantic=False)
        assert not off.uses_vectors() and all(h.semantic == 0 for h in _ask(off, asked[0], questions.question(asked[0])))
        shard_set.close()


def test_a_shard_without_vectors_ranks_lexically_and_says_so(embedded):
    index, root = embedded
    lexical = load_index(index.directory.parent)  # no vectors attached: exported without them
    build_shards(lexical, root / "lexical", SHARDS)
    questions = semantic.query_embedder()
    with local_shards(root / "lexical", SHARDS) as servers:
        shard_set = ShardSet([(s.host, s.port) for s in servers])
        remote = ShardedIndex(shard_set)
        assert not remote.uses_vectors()
        states = remote.vector_states()
        assert {s["state"] for s in states if s["paragraphs"]} == {"missing"}
        assert {s["state"] for s in states if not s["paragraphs"]} <= {"complete"}  # nothing to embed
        for question in paragraph_queries(index)[:20]:
            hits = _ask(remote, question, questions.question(question))
            assert _keys(hits) == _keys(_ask(index, question, None)) and all(h.semantic == 0 for h in hits)
        shard_set.close()


def _holding_shard(root, folder: str) -> str:
    """The shard of a build folder that holds the seed corpus's paragraphs (both documents hash to one)."""
    x = xapian()
    return next(shard_name(i) for i in range(SHARDS) if x.Database(str(root / folder / shard_name(i))).get_doccount())


def test_shard_embed_on_the_host_resumes_after_a_kill_with_no_damaged_vector(embedded):
    index, root = embedded
    build_shards(load_index(index.directory.parent), root / "to-embed", SHARDS)
    folder = root / "to-embed" / _holding_shard(root, "to-embed")
    x = xapian()
    total = x.Database(str(folder)).get_doccount()
    command = [sys.executable, "-m", "service", "shard", "embed", str(folder), "--batch", "4", "--threads", "1"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while vector_state(x.Database(str(folder))).vectors == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)  # in the middle: some batches committed, one perhaps half embedded
    child.wait()
    state = vector_state(x.Database(str(folder)))
    assert 0 < state.vectors < total, "the kill came before the first or after the last batch"
    assert subprocess.run(["xapian-check", str(folder)], capture_output=True).returncode == 0
    for item in x.Database(str(folder)).valuestream(VECTOR_SLOT):
        assert unpack_vector(item.value, semantic.DIMENSIONS) is not None  # whole vectors or none

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{total} of {total} have vectors" in again.stdout
    assert int(again.stdout.split("embedded ")[1].split()[0]) == total - state.vectors  # only what was missing
    db = x.Database(str(folder))
    by_paragraph = {}
    for item in db.postlist(""):
        document = db.get_document(item.docid)
        data = json.loads(document.get_data())
        by_paragraph[(data["d"], data["n"])] = unpack_vector(document.get_value(VECTOR_SLOT), semantic.DIMENSIONS)
    for i in range(index.num_paragraphs):  # the host embedded what the embedded index did
        p = index.paragraph(i)
        assert float(by_paragraph[(p.document_id, p.number)] @ index.vectors.matrix[index.vectors.row_of[i]]) > 0.995


def test_shard_embed_on_a_folder_that_is_no_shard_is_a_one_line_error(tmp_path):
    out = subprocess.run([sys.executable, "-m", "service", "shard", "embed", str(tmp_path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1 and "is not a shard docqa can open" in out.stderr
    assert out.stderr.strip().count("\n") == 0
