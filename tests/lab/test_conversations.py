"""`docqa eval conversation`: the hand-written seed set over docs_corpus, SQuAD made into conversations."""

import json
from importlib.resources import files

import pytest

from service.cli import main
from service.lab.conversations import squad_conversations
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
                                     '{"format": "docqa-conversations-v1", "conversations": [{"id": "x", "turns": [{"question": "q"}]}]}'])
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
