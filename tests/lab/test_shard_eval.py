"""The sharded engine on SQuAD dev: three real xapian-tcpsrv shards against the embedded engine."""

from __future__ import annotations

import json

import pytest

from service.cli import main
from service.lab.evaluation import answer_figures, load_squad, squad_index
from service.lab.shard_eval import first_stage_agreement
from service.shard_servers import served_shards
from tests.conftest import EVAL
from tests.lab.test_evaluation import _squad_fixture

SQUAD = EVAL / "squad" / "dev-v1.1.json"


@pytest.fixture(scope="module")
def squad_on_shards(tmp_path_factory):
    """(embedded index of SQuAD dev, the same served by 3 local shards, questions, paragraph -> context)."""
    if not SQUAD.exists():
        pytest.skip(f"{SQUAD} is absent (public SQuAD v1.1 dev; see ../shared/eval/SOURCES.md)")
    root = tmp_path_factory.mktemp("squad-shards")
    articles, questions = load_squad(SQUAD)
    index, context_of = squad_index(articles, root)
    with served_shards(index, root, 3) as remote:
        yield index, remote, questions, context_of


@pytest.mark.slow
def test_first_stage_candidates_agree_on_every_squad_question(squad_on_shards):
    index, remote, questions, _ = squad_on_shards
    figures = first_stage_agreement(index, remote, [q.question for q in questions])
    assert figures["questions"] >= 10_500  # all 10,570 but any with no searchable word
    assert figures["top1_agreement"] >= 0.999 and figures["overlap_at_5"] >= 0.995
    assert figures["largest_relative_score_difference"] < 1e-4


@pytest.mark.slow
def test_answers_through_shards_score_within_a_fifth_of_a_point(squad_on_shards):
    index, remote, questions, context_of = squad_on_shards
    sample = questions[::8]  # every eighth question (the full run is in docs/EVALUATION.md)
    mine, theirs = answer_figures(index, sample, context_of), answer_figures(remote, sample, context_of)
    assert mine["top5"] > 0.9
    for figure in ("top1", "top5", "answer_sentence"):
        assert abs(theirs[figure] - mine[figure]) <= 0.002, (figure, mine, theirs)


def test_eval_commands_run_through_local_shards(runner, tmp_path):
    path = _squad_fixture(tmp_path / "s.json")
    embedded = json.loads(runner.invoke(main, ["eval", "squad", str(path), "--json", "--no-semantic"]).output
                          .strip().splitlines()[-1])
    result = runner.invoke(main, ["eval", "squad", str(path), "--json", "--engine", "xapian", "--shards", "2"])
    sharded_figures = json.loads(result.output.strip().splitlines()[-1])
    assert sharded_figures["engine"] == "xapian" and sharded_figures["shards"] == 2
    assert {k: sharded_figures[k] for k in ("top1", "top5", "answer_sentence")} == {
        k: embedded[k] for k in ("top1", "top5", "answer_sentence")}
    result = runner.invoke(main, ["eval", "shards", str(path), "--json", "--shards", "2"])
    agreement = json.loads(result.output.strip().splitlines()[-1])
    assert agreement["questions"] == 4 and agreement["top1_agreement"] == 1.0 and agreement["overlap_at_5"] == 1.0
