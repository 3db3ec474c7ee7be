import random

import numpy as np
import pytest

from index import build_index, load_index
from index.errors import EmptyQueryError


def _write_corpus(folder, paragraphs=600, seed=7):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(400)]
    weights = [1 / (i + 1) for i in range(len(words))]
    folder.mkdir()
    for d in range(6):
        paras = [" ".join(rng.choices(words, weights, k=rng.randint(5, 40))) + "." for _ in range(paragraphs // 6)]
        (folder / f"doc{d}.txt").write_text("\n\n".join(paras))
    return words, weights, rng


def test_bm25s_and_rank_bm25_agree_on_top10_and_scores(tmp_path):
    """Both engines use the Lucene BM25 variant (k1=1.2, b=0.75); rank-bm25 gets the Lucene idf."""
    words, weights, rng = _write_corpus(tmp_path / "c")
    build_index(tmp_path / "c", tmp_path / "a", engine="bm25s")
    build_index(tmp_path / "c", tmp_path / "b", engine="rank-bm25")
    fast, ref = load_index(tmp_path / "a"), load_index(tmp_path / "b")
    for _ in range(40):
        query = " ".join(rng.choices(words[5:], weights[5:], k=rng.randint(2, 6)))
        a, b = fast.search(query, 10), ref.search(query, 10)
        assert [h.score for h in a] == pytest.approx([h.score for h in b], rel=1e-4, abs=1e-4)
        # identical order except where scores tie to float32 precision
        for x, y in zip(a, b):
            if (x.paragraph.document_id, x.paragraph.number) != (y.paragraph.document_id, y.paragraph.number):
                assert x.score == pytest.approx(y.score, abs=1e-4)


def test_only_positive_scores_and_k_clamped(seed_index):
    hits = seed_index.search("survivors", 50)
    assert 0 < len(hits) < seed_index.num_paragraphs
    assert all(h.score > 0 and "survivor" in h.matched_terms for h in hits)
    assert len(seed_index.search("the French", 1000)) <= seed_index.num_paragraphs


def test_question_without_terms_is_a_typed_error(seed_index):
    with pytest.raises(EmptyQueryError):
        seed_index.search("what is the ?", 5)
    assert seed_index.search("zebra quantum", 5) == []


def test_vectorised_matrix_equals_the_one_bm25s_builds():
    import bm25s

    from index.lexical.bm25 import Bm25Params
    from index.lexical.engines import bm25_matrix

    rng = np.random.default_rng(3)
    docs = [rng.integers(0, 300, size=rng.integers(0, 50)).tolist() for _ in range(400)]
    offsets = np.concatenate([[0], np.cumsum([len(d) for d in docs])]).astype(np.int64)
    flat = np.concatenate([np.array(d, np.int32) for d in docs])
    for k1, b in ((1.2, 0.75), (0.9, 0.4)):
        data, indices, indptr = bm25_matrix(flat, offsets, 300, Bm25Params(k1, b))
        model = bm25s.BM25(k1=k1, b=b, method="lucene")
        model.index((docs, {i: i for i in range(300)}), create_empty_token=False, show_progress=False)
        ref = model.scores
        assert np.array_equal(indptr[:len(ref["indptr"])], ref["indptr"])
        assert np.array_equal(indices, ref["indices"])
        np.testing.assert_allclose(data, ref["data"], rtol=1e-6)


def test_phrase_pairs_stay_inside_paragraphs():
    from index.lexical.fields import build_phrases, phrase_pair_ids

    flat = np.array([1, 2, 3, 2, 3, 9], np.int32)
    offsets = np.array([0, 3, 3, 6], np.int64)  # paragraphs [1 2 3], [], [2 3 9]
    ids, pair_offsets, table = build_phrases(flat, offsets)
    assert pair_offsets.tolist() == [0, 2, 2, 4]
    assert len(table) == 3  # (1,2), (2,3), (3,9); (3,2) crosses a paragraph boundary
    assert ids[1] == ids[2]  # (2,3) in both paragraphs
    vocab = {"b": 2, "c": 3}
    assert len(phrase_pair_ids(table, vocab, [("b", "c")])) == 1 and len(phrase_pair_ids(table, vocab, [("c", "b")])) == 0
    assert len(phrase_pair_ids(table, vocab, [("b", "x")])) == 0  # a word the corpus lacks: no phrase


def test_a_compound_and_its_own_first_part_are_no_phrase(tmp_path):
    from index import analyze, build_index, load_index

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.md").write_text("Serum IL-10 levels rose.\n")
    build_index(tmp_path / "c", tmp_path / "i")
    index = load_index(tmp_path / "i")
    from index.lexical.bm25 import query_pairs

    assert query_pairs(analyze("serum IL-10 levels")) == [("serum", "il10"), ("il", "10"), ("10", "level")]
    assert all(t in index.vocab for pair in query_pairs(analyze("serum IL-10 levels")) for t in pair)
