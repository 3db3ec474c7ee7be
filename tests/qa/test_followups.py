"""Follow-ups that know they are follow-ups, through /api/ask on the seed corpus: `read_as`, questions that
name their own subject answered as if asked alone, reasons or a plain "no reason", no sentence twice."""

import pytest

from tests.qa.test_conversation import _ask, _conversation, _item

MAYOR = ("Who is the mayor of Calais?", "What did she say?", "What did Macron say?")


def _same(body, alone):
    strip = lambda b: {k: v for k, v in b.items() if k != "took_ms"}  # noqa: E731
    assert strip(body) == strip(alone)


def test_read_as_puts_back_the_name_a_pronoun_stands_for(client):
    first, then = _conversation(client, "Who is the mayor of Calais?", "What did she say?")
    assert first["read_as"] == "Who is the mayor of Calais?"  # leans on nothing: the question itself
    assert then["read_as"] == "What did Natacha Bouchart say?"
    assert "she→Natacha Bouchart" in then["query"]


def test_what_about_x_reads_as_the_previous_question_about_x(client):
    _, then = _conversation(client, "What did Boris Johnson say?", "What about France?")
    assert then["read_as"] == "What did Boris Johnson say about France?"


def test_a_plural_pronoun_is_read_as_what_the_previous_question_counted(client):
    _, then = _conversation(client, "How many survivors were there?", "Where are they being treated?")
    assert then["read_as"] == "Where are the survivors being treated?"
    assert "French hospital" in then["answer"]["text"]


@pytest.mark.parametrize("question", ["How many people died?", "What did Macron say?",
                                      "How many people were on the boat?"])
def test_a_question_naming_its_own_subject_is_answered_exactly_as_if_asked_alone(client, question):
    history = []
    for earlier in MAYOR:
        history.append(_item(_ask(client, earlier, history)))
    body = _ask(client, question, history)
    _same(body, _ask(client, question))
    assert body["read_as"] == question


def test_a_count_of_something_else_is_asked_alone_after_the_death_toll(client):
    """The conversation's article counts the dead; the question counts those aboard, which only the
    other article gives: the conversation may not keep its article for a figure of another measure."""
    history = [_item(_ask(client, "How many people died?"))]
    body = _ask(client, "How many people were on the boat?", history)
    _same(body, _ask(client, "How many people were on the boat?"))
    assert body["passages"][0]["document"] != history[0]["citations"][0]["document"]


def test_the_death_toll_keeps_its_disagreement_after_a_conversation_about_someone_else(client):
    history = []
    for earlier in MAYOR:
        history.append(_item(_ask(client, earlier, history)))
    values = {d["value"] for d in _ask(client, "How many people died?", history)["disagreement"]}
    assert values == {"27", "31"}


def test_why_with_no_reason_in_the_documents_says_so_and_keeps_the_passages(client):
    first, why = _conversation(client, "How many people were believed to be on the boat?", "Why?")
    assert first["answer"] is not None
    assert why["answer"] is None and "no reason" in why["message"] and why["passages"]


def test_why_is_answered_with_the_reason_given_next_to_the_last_answer(tmp_path):
    from service.web import create_app

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "bridge.md").write_text(
        "The Old Bridge was closed on Monday. Engineers found cracks in two of its piers.\n\n"
        "The council said the closure would last a month because repairs need calm weather.\n")
    client = create_app({"corpus": tmp_path / "c", "index_dir": tmp_path / "i"}).test_client()
    first, why = _conversation(client, "How long will the closure last?", "Why?")
    assert "a month" in first["answer"]["text"]
    assert why["answer"]["text"] == first["answer"]["text"]  # the same sentence, its reason marked
    h = why["answer"]["highlight"]
    assert why["answer"]["text"][h["start"]:h["end"]].startswith("because repairs need calm weather")


def test_no_sentence_is_given_twice_in_a_row_for_different_questions(client):
    bodies = _conversation(client, "What did Boris Johnson say?", "Who did he blame?", "Why?", "What about France?")
    texts = [b["answer"]["text"] if b["answer"] else None for b in bodies]
    for before, after in zip(texts, texts[1:]):
        assert after is None or after != before, texts


def test_the_sentence_just_given_may_answer_again_when_asked_something_new_of_it(client):
    _, then = _conversation(client, "Who did Darmanin speak to earlier this week?", "What did he send her?")
    assert "list of further assistance" in then["answer"]["text"]
    assert then["read_as"] == "What did Darmanin send Priti Patel?"


def test_a_near_tie_in_the_conversations_document_goes_to_the_paragraph_being_read(tmp_path):
    """Asked alone, "When was the ferry inspected?" finds the Dunmore inspection first, the Port Lerin
    paragraph a near-tie behind it; after a question answered from the Port Lerin paragraph, the thread
    breaks the tie. A question whose words clearly prefer another paragraph keeps its own order."""
    from service.web import create_app

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "harbour.md").write_text(
        "# Port Lerin harbour report\n\n"
        "Anna Berg, the harbour master of Port Lerin, said the ferry Aurora had been inspected in May and passed "
        "every check.\n\nThe ferry inspection in Dunmore found rust on the hull of a second ferry in May, and "
        "repairs were ordered.\n\nThe harbour will dredge the northern channel next year to let larger ships dock.\n")
    (tmp_path / "c" / "weather.md").write_text("# Weather\n\nStorms are expected along the coast on Friday.\n")
    client = create_app({"corpus": tmp_path / "c", "index_dir": tmp_path / "i"}).test_client()
    alone = _ask(client, "When was the ferry inspected?")
    assert [p["paragraph"] for p in alone["passages"][:2]] == [2, 1]
    first, then = _conversation(client, "Who is the harbour master of Port Lerin?", "When was the ferry inspected?")
    assert first["passages"][0]["paragraph"] == 1 and then["read_as"] == "When was the ferry inspected?"
    assert [p["paragraph"] for p in then["passages"][:2]] == [1, 2]
    dredge = _conversation(client, "Who is the harbour master of Port Lerin?", "When will the channel be dredged?")[1]
    _same(dredge, _ask(client, "When will the channel be dredged?"))
