import math
import random

import numpy as np
import pytest

from index import open_index, rerank
from index.analysis import analyze
from dataclasses import replace


def test_prefix_groups_join_terms_by_their_first_five_letters():
    groups = rerank.prefix_groups(["pad", "harbour", "ferri", "govern", "governor", "war"])
    assert groups[3] == groups[4] >= 0                       # govern / governor
    assert len({int(g) for g in groups[1:4]}) == 3           # harbour, ferri, govern apart
    assert groups[0] < 0 and groups[5] < 0 and groups[0] != groups[5]  # short terms: each a group of its own


def test_candidate_features_match_hand_computed_values():
    vocabulary = ["pad", "harbour", "ferri", "govern", "governor", "x"]
    a = [1, 2, 5, 3]            # document 0: harbour ferri x govern
    b = [1] + [5] * 20 + [2]    # document 0: harbour ... ferri, 21 terms apart
    c = [4, 5]                  # document 1: governor, a near miss for "govern"; its title says harbour
    tokens = np.array(a + b + c)
    offsets = np.array([0, 4, 26, 28])
    titles = np.array([1]), np.array([0, 0, 1])
    query, idf = np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0])
    features, holds = rerank.candidate_features(
        np.array([0, 1, 2]), np.array([3.0, 2.0, 1.0]), tokens, offsets, query, idf,
        rerank.prefix_groups(vocabulary), documents=np.array([0, 0, 1]), titles=titles)
    column = {name: features[:, i] for i, name in enumerate(rerank.FEATURES)}
    # found in a paragraph or its title: harbour in 3 of 3 candidates, ferri in 2, govern in 1;
    # each weighs idf x log(1 + (3 - df + 0.5) / (df + 0.5))
    local = [1 * math.log(8 / 7), 2 * math.log(1.6), 3 * math.log(8 / 3)]
    assert column["first_stage"] == pytest.approx([1, 2 / 3, 1 / 3])
    assert column["window"] == pytest.approx([1, 2 / 6, 0])  # b's two terms never share a window
    assert column["local_coverage"] == pytest.approx([1, (local[0] + local[1]) / sum(local), local[0] / sum(local)])
    assert column["near_miss"] == pytest.approx([0, 0, local[2] / sum(local)])
    assert column["same_document"] == pytest.approx([2 / 3, 2 / 3, 1 / 3])
    # b lacks govern, which a (before it, same document) holds; c's previous paragraph is another document's
    assert column["previous"] == pytest.approx([0, 3 / 6, 0])
    assert holds.tolist() == [[True, True, True], [True, True, False], [False, False, False]]


def test_question_terms_sharing_their_first_letters_are_each_matched_and_near_missed():
    vocabulary = ["pad", "harbour", "ferri", "govern", "governor", "x"]
    tokens, offsets = np.array([4, 5, 3]), np.array([0, 2, 3])  # "governor x", then "govern"
    no_titles = np.array([], dtype=np.int64), np.array([0, 0, 0])
    features, holds = rerank.candidate_features(
        np.array([0, 1]), np.array([2.0, 1.0]), tokens, offsets, np.array([3, 4]), np.array([1.0, 1.0]),
        rerank.prefix_groups(vocabulary), documents=np.array([0, 1]), titles=no_titles)
    assert holds.tolist() == [[False, True], [True, False]]
    near_miss = features[:, rerank.FEATURES.index("near_miss")]
    assert near_miss == pytest.approx([0.5, 0.5])  # each lacks one of the two, and has the other


def test_a_near_miss_breaks_a_first_stage_tie(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "port.md").write_text("The harbour office publishes ferry timetables for visitors.\n\n"
                                    "The harbour governor publishes ferry timetables for visitors.\n")
    (corpus / "town.md").write_text("The town government meets on Mondays.\n")  # puts "govern" in the vocabulary
    index, _ = open_index(corpus, tmp_path / "index")
    question = "harbour ferry government"  # "govern": neither paragraph has it, the second has "governor"
    index.ranking = replace(rerank.ranking(), rerank=False)
    port = lambda: [h for h in index.search(question, 3) if h.paragraph.document_id == "port"]  # noqa: E731
    plain = port()
    assert plain[0].score == plain[1].score and plain[0].paragraph.number == 1
    index.ranking = rerank.ranking()
    assert [h.paragraph.number for h in port()] == [2, 1]


def test_reranked_hits_report_the_same_matched_terms(seed_index):
    seed_index.ranking = replace(rerank.ranking(), rerank=False)
    plain = {h.paragraph.start: h.matched_terms for h in seed_index.search("survivors hospital Calais", 20)}
    seed_index.ranking = rerank.ranking()
    reranked = seed_index.search("survivors hospital Calais", 20)
    assert reranked and all(h.matched_terms == plain[h.paragraph.start] for h in reranked if h.paragraph.start in plain)
    assert any(h.matched_terms for h in reranked)


def test_no_weight_can_lower_a_score_below_its_first_stage_score():
    # features are shares in [0, 1]: with no negative weight the bonus is never negative
    assert rerank.model().weight("first_stage") == 1.0 and rerank.model().weights.min() >= 0


def test_the_best_hits_do_not_depend_on_how_many_are_asked_for(tmp_path):
    """Only the leading candidates (the ranking's pool) are re-ranked, whatever k: asking for more appends, never reorders."""
    rng = random.Random(7)
    words = "harbour ferry governor council tide storm pilot cargo dock crane lighthouse quay ballast anchor".split()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for d in range(3):
        paragraphs = (" ".join(rng.choice(words) for _ in range(rng.randint(6, 30))) + "." for _ in range(20))
        (corpus / f"port{d}.md").write_text("\n\n".join(paragraphs) + "\n")
    index, _ = open_index(corpus, tmp_path / "index")
    for _ in range(30):
        question = " ".join(rng.sample(words, 3))
        many = index.search(question, 60)
        assert len(many) > rerank.ranking().candidates
        key = lambda hits: [(h.paragraph.document_id, h.paragraph.number, h.score) for h in hits]  # noqa: E731
        assert key(index.search(question, 5)) == key(many[:5]) and key(index.search(question, 15)) == key(many[:15])
        assert [h.score for h in many] == sorted((h.score for h in many), reverse=True)
        terms = analyze(question)
        for hit in many:  # re-ranked or not, each hit names the question terms its paragraph holds
            held = set(analyze(hit.paragraph.text))
            assert hit.matched_terms == tuple(t for t in dict.fromkeys(terms) if t in held)
