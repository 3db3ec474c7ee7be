import math

import numpy as np
import pytest

from index import open_index, rerank
from index.search import Ranking


def test_prefix_groups_join_terms_by_their_first_five_letters():
    groups = rerank.prefix_groups(["pad", "harbour", "ferri", "govern", "governor", "war"])
    assert groups[3] == groups[4] >= 0                       # govern / governor
    assert len({int(g) for g in groups[1:4]}) == 3           # harbour, ferri, govern apart
    assert groups[0] < 0 and groups[5] < 0 and groups[0] != groups[5]  # short terms: each a group of its own


def test_candidate_features_match_hand_computed_values():
    vocabulary = ["pad", "harbour", "ferri", "govern", "governor", "x"]
    a = [1, 2, 5, 5]            # harbour ferri side by side
    b = [1] + [5] * 20 + [2]    # harbour ... ferri, 21 terms apart
    c = [4, 5]                  # governor: a near miss for "govern"
    tokens = np.array(a + b + c)
    offsets = np.array([0, 4, 26, 28])
    query, idf = np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0])
    features, holds = rerank.candidate_features(
        np.array([0, 1, 2]), np.array([3.0, 2.0, 1.0]), tokens, offsets, query, idf,
        rerank.prefix_groups(vocabulary), documents=np.array([0, 0, 1]))
    column = {name: features[:, i] for i, name in enumerate(rerank.FEATURES)}
    # harbour and ferri are in 2 of 3 candidates, govern in none: idf x log(1 + (3 - df + 0.5) / (df + 0.5))
    local = [1 * math.log(1.6), 2 * math.log(1.6), 3 * math.log(8)]
    assert column["first_stage"] == pytest.approx([1, 2 / 3, 1 / 3])
    assert column["window"] == pytest.approx([3 / 6, 2 / 6, 0])  # b's two terms never share a window
    assert column["local_coverage"] == pytest.approx([3 * math.log(1.6) / sum(local)] * 2 + [0])
    assert column["near_miss"] == pytest.approx([0, 0, local[2] / sum(local)])
    assert column["same_document"] == pytest.approx([2 / 3, 2 / 3, 1 / 3])
    assert holds.tolist() == [[True, True, False], [True, True, False], [False, False, False]]


def test_a_near_miss_breaks_a_first_stage_tie(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "port.md").write_text("The harbour office publishes ferry timetables for visitors.\n\n"
                                    "The harbour governor publishes ferry timetables for visitors.\n")
    (corpus / "town.md").write_text("The town government meets on Mondays.\n")  # puts "govern" in the vocabulary
    index, _ = open_index(corpus, tmp_path / "index")
    question = "harbour ferry government"  # "govern": neither paragraph has it, the second has "governor"
    index.ranking = Ranking(rerank=False)
    port = lambda: [h for h in index.search(question, 3) if h.paragraph.document_id == "port"]  # noqa: E731
    plain = port()
    assert plain[0].score == plain[1].score and plain[0].paragraph.number == 1
    index.ranking = Ranking()
    assert [h.paragraph.number for h in port()] == [2, 1]


def test_reranked_hits_report_the_same_matched_terms(seed_index):
    seed_index.ranking = Ranking(rerank=False)
    plain = {h.paragraph.start: h.matched_terms for h in seed_index.search("survivors hospital Calais", 20)}
    seed_index.ranking = Ranking()
    reranked = seed_index.search("survivors hospital Calais", 20)
    assert reranked and all(h.matched_terms == plain[h.paragraph.start] for h in reranked if h.paragraph.start in plain)
    assert any(h.matched_terms for h in reranked)
