"""The sharded engine against the embedded one on the seed corpus: real shards served by xapian-tcpsrv."""

from __future__ import annotations

import inspect
import json
import shutil

import numpy as np
import pytest

from index import analysis, build_index, load_index
from index.documents import read_document
from index.lexical.engines import top_k
from index.errors import CorpusError, InvalidInputError
from index.lexical.layered import LayeredIndex
from index.searchable import Searchable
from index.shards.build import build_shards, from_document, from_index
from index.shards.client import ShardSet
from index.shards.format import DOCUMENT_KEY, shard_name, shard_of
from index.shards.sharded import ShardedIndex
from index.shards.bindings import xapian
from service.shard_servers import local_shards
from tests.conftest import REPO

SHARDS = 3


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """(embedded index, sharded index over 3 local shards of it, the build folder)."""
    root = tmp_path_factory.mktemp("seed-shards")
    shutil.copytree(REPO / "docs_corpus", root / "corpus")
    build_index(root / "corpus", root / "index")
    index = load_index(root / "index")
    build_shards(index, root / "shards", SHARDS)
    with local_shards(root / "shards", SHARDS) as servers:
        shards = ShardSet([(s.host, s.port) for s in servers])
        yield index, ShardedIndex(shards), root
        shards.close()


def paragraph_queries(index):
    """Questions made from the corpus itself: the first words of every paragraph and a phrase from its middle."""
    out = []
    for i in range(index.num_paragraphs):
        words = index.paragraph(i).text.split()
        out += [" ".join(words[:6]), " ".join(words[len(words) // 2:len(words) // 2 + 3])]
    return [q for q in out if analysis.analyze(q)]


def test_first_stage_scores_equal_the_embedded_engines(seed):
    index, remote, _ = seed
    compared = 0
    for question in paragraph_queries(index):
        terms = analysis.analyze(question)
        query = index._first_stage(dict.fromkeys(terms, 1.0), terms, frozenset(), None)
        order, scores = top_k(query[2], 5)
        mine = {(index.paragraph(i).document_id, index.paragraph(i).number): s
                for i, s in zip(order.tolist(), scores.tolist())}
        _, _, found = remote.first_stage(dict.fromkeys(terms, 1.0), 5, terms)
        theirs = {(d["d"], d["n"]): s for s, d in found}
        assert set(theirs) == set(mine), question
        for key, score in mine.items():
            assert theirs[key] == pytest.approx(score, rel=1e-5), question
        compared += 1
    assert compared > 80


def test_search_gives_the_embedded_hits_after_the_same_rerank(seed):
    index, remote, _ = seed
    for question in paragraph_queries(index)[::3] + ["how many survivors?", "who is the mayor of Calais"]:
        mine, theirs = index.search(question, 5), remote.search(question, 5)
        assert [h.paragraph for h in theirs] == [h.paragraph for h in mine], question
        assert [h.matched_terms for h in theirs] == [h.matched_terms for h in mine]
        assert np.allclose([h.score for h in theirs], [h.score for h in mine], rtol=1e-4)


def test_every_engine_implements_the_interface_the_answers_read(seed):
    index, remote, _ = seed
    wanted = inspect.signature(Searchable.search_terms).parameters
    for engine in (index, LayeredIndex(index), remote):
        assert isinstance(engine, Searchable)
        assert set(wanted) <= set(inspect.signature(type(engine).search_terms).parameters)


def test_documents_and_their_paragraphs_come_from_the_shards(seed):
    index, remote, _ = seed
    assert [d.id for d in remote.documents] == [d.id for d in index.documents]
    assert remote.num_paragraphs == index.num_paragraphs
    for info in index.documents:
        assert remote.document(info.id) == index.document(info.id)
        assert remote.document_paragraphs(info.id) == index.document_paragraphs(info.id)
        for engine in (index, LayeredIndex(index), remote):  # one paragraph alone, by its number from 1
            assert [engine.document_paragraph(info.id, n) for n in range(1, info.paragraphs + 1)] == \
                index.document_paragraphs(info.id)
            for missing in (0, info.paragraphs + 1):
                with pytest.raises(IndexError):
                    engine.document_paragraph(info.id, missing)
        assert remote.info(info.id).sha256 == info.sha256
    assert np.allclose(remote.idf(["boat", "calai", "zzzz"]), index.idf(["boat", "calai", "zzzz"]))


def test_a_document_filter_keeps_other_documents_out(seed):
    index, remote, _ = seed
    only = frozenset({index.documents[1].id})
    hits = remote.search_terms({"boat": 1.0, "dead": 1.0}, 5, only=only)
    assert hits and {h.paragraph.document_id for h in hits} == only
    assert remote.search_terms({"boat": 1.0}, 5, only=frozenset()) == []


def test_each_document_lives_in_the_shard_its_id_hashes_to(seed):
    index, _, root = seed
    x = xapian()
    for number in range(SHARDS):
        db = x.Database(str(root / "shards" / shard_name(number)))
        held = {k.decode()[len(DOCUMENT_KEY):] for k in db.metadata_keys(DOCUMENT_KEY)}
        assert held == {d.id for d in index.documents if shard_of(d.id, SHARDS) == number}
        assert db.get_doccount() == sum(d.paragraphs for d in index.documents if d.id in held)


def test_shards_listed_out_of_order_are_refused(seed):
    _, remote, _ = seed
    addresses = [(s.host, s.port) for s in remote.shards.shards]
    shards = ShardSet(addresses[::-1])
    with pytest.raises(InvalidInputError, match="in order"):
        ShardedIndex(shards)
    shards.close()
    shards = ShardSet(addresses[:2])
    with pytest.raises(InvalidInputError, match="list every shard"):
        ShardedIndex(shards)
    shards.close()


def test_a_written_document_is_analysed_exactly_as_the_build_did(seed):
    index, _, root = seed
    for info in index.documents:
        written = from_document(read_document(root / "corpus" / info.file), info.file)
        assert written == from_index(index, info.id)


def test_incremental_build_replaces_only_changed_documents(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "docs_corpus", corpus)
    (corpus / "harbour.md").write_text("# Harbour notes\n\nThe lifeboat crew launched at dawn from Dunkirk.\n")
    build_index(corpus, tmp_path / "index")
    first = build_shards(load_index(tmp_path / "index"), tmp_path / "shards", 2)
    assert first.full and first.written == 3
    (corpus / "harbour.md").write_text("# Harbour notes\n\nThe pilot boat sailed at noon from Boulogne.\n")
    (corpus / "johnson-urges-france-after-channel-capsizing.md").unlink()
    build_index(corpus, tmp_path / "index")
    second = build_shards(load_index(tmp_path / "index"), tmp_path / "shards", 2)
    assert not second.full and (second.written, second.deleted) == (1, 1)
    with local_shards(tmp_path / "shards", 2) as servers:
        remote = ShardedIndex(ShardSet([(s.host, s.port) for s in servers]))
        assert [h.paragraph.document_id for h in remote.search("Boulogne pilot", 1)] == ["harbour"]
        assert remote.search("Dunkirk lifeboat crew", 3) == []
        assert len(remote.documents) == 2
        remote.shards.close()
    stats = json.loads((tmp_path / "shards" / "shards.json").read_text())
    assert stats["shards"] == 2
    assert build_shards(load_index(tmp_path / "index"), tmp_path / "shards", 3).full  # another count: afresh
    assert build_shards(load_index(tmp_path / "index"), tmp_path / "shards", 1).full
    assert sorted(p.name for p in (tmp_path / "shards").glob("shard-[0-9][0-9]")) == ["shard-00"]
    assert len([p for p in (tmp_path / "shards").iterdir() if p.is_dir() and not p.is_symlink()]) == 1


def test_a_large_index_is_exported_by_a_process_per_shard_with_the_same_result(tmp_path, monkeypatch):
    from index.shards import build as shard_build

    shutil.copytree(REPO / "docs_corpus", tmp_path / "corpus")
    build_index(tmp_path / "corpus", tmp_path / "index")
    index = load_index(tmp_path / "index")
    build_shards(index, tmp_path / "alone", 2)
    monkeypatch.setattr(shard_build, "PARALLEL_FROM", 1)  # the seed corpus counts as large
    seen = []
    build_shards(index, tmp_path / "children", 2, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (2, 2)
    x = xapian()
    for number in range(2):
        alone, children = (x.Database(str(tmp_path / folder / shard_name(number))) for folder in ("alone", "children"))
        assert children.get_doccount() == alone.get_doccount()
        assert [children.get_document(d).get_data() for d in range(1, children.get_lastdocid() + 1)] == [
            alone.get_document(d).get_data() for d in range(1, alone.get_lastdocid() + 1)]
        assert [(t.term, t.termfreq) for t in children.allterms()] == [(t.term, t.termfreq) for t in alone.allterms()]


def test_an_update_while_a_shard_is_being_written_is_a_clear_error(tmp_path):
    shutil.copytree(REPO / "docs_corpus", tmp_path / "corpus")
    build_index(tmp_path / "corpus", tmp_path / "index")
    build_shards(load_index(tmp_path / "index"), tmp_path / "shards", 1)
    x = xapian()
    writer = x.WritableDatabase(str(tmp_path / "shards" / shard_name(0)), x.DB_OPEN)
    try:
        with pytest.raises(CorpusError, match="being written by another process"):
            build_shards(load_index(tmp_path / "index"), tmp_path / "shards", 1)
    finally:
        writer.close()


def test_a_term_longer_than_xapian_allows_is_still_searchable(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    long_word = "pneumono" * 40
    (corpus / "long.txt").write_text(f"A word of {len(long_word)} letters: {long_word} appears here.\n")
    (corpus / "other.txt").write_text("Nothing long in this one at all.\n")
    build_index(corpus, tmp_path / "index")
    build_shards(load_index(tmp_path / "index"), tmp_path / "shards", 1)
    with local_shards(tmp_path / "shards", 1) as servers:
        remote = ShardedIndex(ShardSet([(s.host, s.port) for s in servers]))
        assert [h.paragraph.document_id for h in remote.search(long_word, 2)] == ["long"]
        remote.shards.close()
