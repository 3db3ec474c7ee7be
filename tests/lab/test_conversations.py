"""`docqa eval conversation`: the hand-written seed set over docs_corpus, SQuAD made into conversations."""

import json
from importlib.resources import files

import pytest

from service.cli import main
from service.lab.conversations import squad_conversations, topic_shift_conversations
from service.lab.evaluation import SquadQuestion
from tests.conftest import EVAL

SEED_SET = files("service.lab") / "data" / "seed-conversations.json"


def _figures(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_the_seed_set_is_answered_better_with_history(runner, corpus):
    figures = _figures(runner.invoke(main, ["eval", "conversation", str(SEED_SET), "--corpus", str(corpus), "--json"]))
    asked = json.loads(SEED_SET.read_text())["conversations"]
    assert figures["conversations"] == len(asked)
    with_history, alone = figures["with_history"], figures["without_history"]
    assert with_history["later"]["turns"] == sum(len(c["turns"]) - 1 for c in asked)
    assert with_history["all"]["refused"] == 0
    assert with_history["later"]["answer_sentence"] > alone["later"]["answer_sentence"]
    assert with_history["later"]["answer_sentence"] >= 0.7 and with_history["first"]["answer_sentence"] >= 0.85


def test_every_seed_turn_names_documents_of_the_corpus_and_evidence_in_them(corpus):
    texts = {p.stem: p.read_text(encoding="utf-8") for p in corpus.glob("*.md")}
    for conversation in json.loads(SEED_SET.read_text())["conversations"]:
        for turn in conversation["turns"]:
            documents = [turn["document"]] if isinstance(turn["document"], str) else turn["document"]
            assert all(d in texts for d in documents), turn
            assert any(e in texts[d] for e in turn["evidence"] for d in documents), turn


def test_squad_conversations_put_pronouns_for_people_named_before():
    context = "Nikola Tesla was born in 1856. He died in New York in 1943, and his papers went to Belgrade."
    articles = [("Tesla", [context])]
    questions = [SquadQuestion("a", "When was Nikola Tesla born?", ("1856",), 0, 0),
                 SquadQuestion("b", "Where did Nikola Tesla die?", ("New York",), 0, 0),
                 SquadQuestion("c", "Where did Nikola Tesla's papers go?", ("Belgrade",), 0, 0)]
    [conversation] = squad_conversations(articles, questions, "all")
    asked = [t["question"] for t in conversation["turns"]]
    assert asked == ["When was Nikola Tesla born?", "Where did he die?", "Where did his papers go?"]
    assert [t["original"] for t in conversation["turns"]] == [q.question for q in questions]


@pytest.mark.parametrize("content", ["[]", '{"format": "docqa-conversations-v1"}',
                                     '{"format": "docqa-conversations-v1", '
                                     '"conversations": [{"id": "x", "turns": [{"question": "q"}]}]}'])
def test_a_bad_conversation_file_is_a_one_line_error(runner, tmp_path, corpus, content):
    (tmp_path / "bad.json").write_text(content)
    result = runner.invoke(main, ["eval", "conversation", str(tmp_path / "bad.json"), "--corpus", str(corpus)])
    assert result.exit_code == 1 and result.output.startswith("Error:") and len(result.output.splitlines()) == 1


@pytest.mark.slow
def test_squad_conversations_from_shared_eval(runner):
    path = EVAL / "squad" / "dev-v1.1.json"
    if not path.exists():
        pytest.skip(f"{path} is absent (public SQuAD v1.1 dev; see ../shared/eval/SOURCES.md)")
    figures = _figures(runner.invoke(main, ["eval", "conversation", str(path), "--subset", "odd", "--limit", "30",
                                             "--no-semantic", "--json"]))
    assert figures["conversations"] == 30 and figures["with_history"]["all"]["refused"] == 0
    assert figures["with_history"]["later"]["answer_sentence"] > figures["without_history"]["later"]["answer_sentence"]


def _data(*parts):
    path = EVAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (public benchmark data; see ../shared/eval/SOURCES.md)")
    return path


def test_doc2dial_turns_are_asked_in_order_with_and_without_history(runner):
    figures = _figures(runner.invoke(main, ["eval", "doc2dial", str(_data("doc2dial")), "--limit", "4",
                                             "--no-semantic", "--json"]))
    assert figures["dialogues"] == 4 and figures["documents"] == 273
    with_history, alone = figures["with_history"], figures["without_history"]
    assert with_history["first"] == alone["first"]  # a first turn has no history to use
    assert with_history["later"]["turns"] == alone["later"]["turns"] > 0
    for kind in ("first", "later"):
        for key in ("document1", "document5", "span5", "answer"):
            assert 0 <= with_history[kind][key] <= 1
        assert with_history[kind]["document1"] <= with_history[kind]["document5"]


def test_canard_scores_what_read_as_adds_against_the_human_rewrite(runner):
    figures = _figures(runner.invoke(main, ["eval", "canard", str(_data("canard", "dev.json")), "--limit", "12",
                                             "--json"]))
    assert figures["dialogues"] == 12 and figures["questions"] > 12
    assert 0 < figures["precision"] <= 1 and 0 < figures["recall"] <= 1
    assert set(figures["rules"]) == {"title if pronoun", "always title"}
    assert all(e["read_as"] != e["question"] for e in figures["examples"])


def test_a_topic_shift_is_answered_as_if_asked_alone(runner):
    figures = _figures(runner.invoke(main, ["eval", "topic-shift", str(_data("squad", "dev-v1.1.json")),
                                             "--subset", "odd", "--limit", "40", "--no-semantic", "--json"]))
    assert figures["turns"] == 40
    assert figures["same_answer"] >= 0.9
    assert figures["passage_with_history"] >= figures["passage_alone"] - 0.05


def test_topic_shift_conversations_end_on_another_articles_question():
    context = "Nikola Tesla was born in 1856. He died in New York in 1943."
    articles = [("Tesla", [context, "Tesla worked for Edison."]), ("Rome", ["Rome is the capital of Italy."])]
    questions = [SquadQuestion("a", "When was Nikola Tesla born?", ("1856",), 0, 0),
                 SquadQuestion("b", "Where did Nikola Tesla die?", ("New York",), 0, 0),
                 SquadQuestion("c", "When did Tesla die?", ("1943",), 0, 0),
                 SquadQuestion("d", "Who did Tesla work for?", ("Edison",), 0, 1),
                 SquadQuestion("e", "What is the capital of Italy?", ("Rome",), 1, 2)]
    [shifted] = topic_shift_conversations(articles, questions, "all", before=2)
    assert [t["question"] for t in shifted["turns"]][-1] == "What is the capital of Italy?"
    assert shifted["turns"][-1]["shifted"] and len(shifted["turns"]) == 3
