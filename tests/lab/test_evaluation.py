import json
import math

import numpy as np
import pytest

from index.linear_model import load_model, model_path
from index.rerank import FEATURES
from service.cli import main
from service.lab.evaluation import load_beir, load_squad, ndcg_at, normalize_answer, recall_at, reciprocal_rank
from service.lab.fitting import fit_listwise
from service.qa.answer_sentence import HAND_SET_FEATURES, SENTENCE_FEATURES, model
from tests.conftest import EVAL


def test_metrics_match_hand_computed_values():
    ranked = ["d3", "d1", "d7", "d2"]
    gains = {"d1": 1.0, "d2": 2.0}
    # DCG = 1/log2(3) + 2/log2(5); IDCG = 2/log2(2) + 1/log2(3)
    expected = (1 / math.log2(3) + 2 / math.log2(5)) / (2 + 1 / math.log2(3))
    assert ndcg_at(ranked, gains, 10) == pytest.approx(expected)
    assert ndcg_at(ranked, gains, 1) == 0.0
    assert recall_at(ranked, gains, 2) == 0.5 and recall_at(ranked, gains, 4) == 1.0
    assert reciprocal_rank(ranked, gains, 10) == 0.5 and reciprocal_rank(ranked, {"d9": 1}, 10) == 0.0
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"


def _squad_fixture(path):
    data = {"version": "1.1", "data": [
        {"title": "Harbours", "paragraphs": [
            {"context": "Dover harbour has 3 ferry berths. The harbour master is Jane Smith.",
             "qas": [{"id": "q1", "question": "How many ferry berths does Dover harbour have?",
                      "answers": [{"text": "3", "answer_start": 19}]},
                     {"id": "q2", "question": "Who is the harbour master?",
                      "answers": [{"text": "Jane Smith", "answer_start": 57}]}]},
            {"context": "Calais port handles freight lorries every day of the year.",
             "qas": [{"id": "q3", "question": "What does Calais port handle?",
                      "answers": [{"text": "freight lorries", "answer_start": 20}]}]}]},
        {"title": "Lighthouses", "paragraphs": [
            {"context": "The lighthouse at Cap Gris-Nez was rebuilt in 1950 after the war.",
             "qas": [{"id": "q4", "question": "When was the lighthouse at Cap Gris-Nez rebuilt?",
                      "answers": [{"text": "1950", "answer_start": 46}]}]}]}]}
    path.write_text(json.dumps(data))
    return path


def _beir_fixture(folder):
    folder.mkdir()
    (folder / "qrels").mkdir()
    docs = [("a1", "Ferries", "Ferries cross the strait from Dover to Calais."),
            ("a2", "Tides", "Spring tides are higher than neap tides."),
            ("a3", "Lighthouses", "A lighthouse warns ships of rocks at night.")]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in docs))
    (folder / "queries.jsonl").write_text("\n".join(json.dumps({"_id": i, "text": t}) for i, t in
                                                    [("1", "ferries from Dover"), ("2", "neap tides"), ("3", "unjudged")]))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n1\ta1\t1\n2\ta2\t1\n")
    return folder


def test_loaders_read_the_fixture_formats(tmp_path):
    articles, questions = load_squad(_squad_fixture(tmp_path / "squad.json"))
    assert [t for t, _ in articles] == ["Harbours", "Lighthouses"]
    assert [(q.id, q.article, q.context) for q in questions] == [("q1", 0, 0), ("q2", 0, 0), ("q3", 0, 1), ("q4", 1, 2)]
    corpus, queries, qrels = load_beir(_beir_fixture(tmp_path / "beir"))
    assert set(corpus) == {"a1", "a2", "a3"} and qrels == {"1": {"a1": 1.0}, "2": {"a2": 1.0}}


def test_bad_eval_input_is_a_one_line_error(runner, tmp_path):
    (tmp_path / "bad.json").write_text("[1, 2]")
    for args in (["eval", "squad", str(tmp_path / "bad.json")], ["eval", "beir", str(tmp_path)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1 and result.output.startswith("Error:") and len(result.output.splitlines()) == 1


def test_eval_commands_print_one_json_line_last(runner, tmp_path):
    result = runner.invoke(main, ["eval", "squad", str(_squad_fixture(tmp_path / "s.json")), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["questions"] == 4 and figures["paragraphs"] == 3 and figures["top1"] == 1.0
    assert figures["semantic"] is True and "MiniLM" in figures["model"]
    assert figures["answer_sentence"] == 1.0 and figures["how_many_exact"] == 1.0
    result = runner.invoke(main, ["eval", "beir", str(_beir_fixture(tmp_path / "b")), "--json"])
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert set(figures) >= {"queries", "documents", "ndcg@10", "recall@100", "mrr@10", "seconds"}
    assert figures["queries"] == 2 and figures["documents"] == 3 and figures["ndcg@10"] == 1.0


def test_eval_table_measures_every_row(runner, tmp_path):
    result = runner.invoke(main, ["eval", "table", str(_squad_fixture(tmp_path / "s.json")),
                                  str(_beir_fixture(tmp_path / "b")), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output.strip().splitlines()[-1])
    assert len(rows) == 7 and list(rows.values())[-1]["top1"] == 1.0  # the default ranking (semantic), last
    assert list(rows)[-1].startswith("+ semantic")
    assert all(set(f) >= {"top1", "top5", "top20", "mrr", "ndcg@10", "recall@100", "p50_ms"} for f in rows.values())
    assert "| ranking | SQuAD top1 |" in result.output


@pytest.mark.slow
def test_squad_sample_from_shared_eval(runner):
    path = EVAL / "squad" / "dev-v1.1.json"
    if not path.exists():
        pytest.skip(f"{path} is absent (public SQuAD v1.1 dev; see ../shared/eval/SOURCES.md)")
    # lexical: embedding all 2,067 paragraphs takes two minutes (the semantic path is tested on small corpora)
    result = runner.invoke(main, ["eval", "squad", str(path), "--limit", "300", "--no-semantic", "--json"])
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["questions"] == 300 and figures["paragraphs"] == 2067 and figures["semantic"] is False
    assert figures["top5"] > 0.85 and figures["answer_sentence"] > 0.5


def test_listwise_fit_recovers_the_ranking_weights():
    rng = np.random.default_rng(7)
    truth = np.array([2.0, -1.0, 0.5, 0.0])

    def groups(n):
        out = []
        for _ in range(n):
            x = rng.normal(size=(6, 4)) * [1.0, 3.0, 0.2, 1.0]  # different feature scales
            out.append((x, np.arange(6) == np.argmax(x @ truth)))
        return out

    w = fit_listwise(groups(400))
    held_out = groups(300)
    picked = np.mean([y[np.argmax(x @ w)] for x, y in held_out])
    assert picked > 0.85
    assert w @ truth / (np.linalg.norm(w) * np.linalg.norm(truth)) > 0.9
    with pytest.raises(ValueError):  # only all-right or all-wrong groups: nothing to learn from
        fit_listwise([(np.ones((2, 4)), np.array([True, True])), (np.ones((2, 4)), np.array([False, False]))])


@pytest.mark.parametrize("command, features, fixed", [
    ("fit-answers", SENTENCE_FEATURES, {name: model().weight(name) for name in HAND_SET_FEATURES}),
    ("fit-ranking", FEATURES, {"first_stage": 1.0}),  # scaled so the score stays in BM25 units
], ids=["fit-answers", "fit-ranking"])
def test_fit_commands_write_a_model_file_the_code_loads(runner, tmp_path, command, features, fixed):
    out = tmp_path / "model.json"
    result = runner.invoke(main, ["eval", command, str(_squad_fixture(tmp_path / "s.json")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == f"wrote {out}"
    model = load_model(out, features, non_negative=command == "fit-ranking")
    assert model.features == tuple(features) and all(model.weight(k) == v for k, v in fixed.items())
    made_by = json.loads(out.read_text())["made_by"]
    assert made_by["subset"] == "even-numbered articles" and len(made_by["sha256"]) == 64
    assert made_by["held_out_figures"]["questions"] >= 1


@pytest.mark.slow
@pytest.mark.parametrize("command, package, filename, features", [
    ("fit-ranking", "index", "rerank-v1.json", FEATURES),
    ("fit-answers", "service.qa", "sentence-v2.json", SENTENCE_FEATURES),
], ids=["fit-ranking", "fit-answers"])
def test_refitting_on_squad_reproduces_the_shipped_model(runner, tmp_path, command, package, filename, features):
    """Two-click reproduction: the shipped model files are what `docqa eval fit-*` makes from SQuAD."""
    path = EVAL / "squad" / "dev-v1.1.json"
    if not path.exists():
        pytest.skip(f"{path} is absent (public SQuAD v1.1 dev; see ../shared/eval/SOURCES.md)")
    out = tmp_path / filename
    result = runner.invoke(main, ["eval", command, str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    shipped = load_model(model_path(package, filename), features)
    refit = load_model(out, features)
    assert np.abs(refit.weights - shipped.weights).max() <= 1e-4, dict(zip(features, refit.weights - shipped.weights))
