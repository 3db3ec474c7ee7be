"""Conversations through /api/ask on the seed corpus: focus, resolved pronouns, short follow-ups, no
repeats, and who "he" is -- each history item sent as the chat page sends it."""

import pytest

UK = "uk-france-keep-all-options-on-the-table"
JOHNSON = "johnson-urges-france-after-channel-capsizing"


def _ask(client, question, history=()):
    res = client.post("/api/ask", json={"question": question, "history": list(history)})
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def _item(body):
    """The history item the page sends: question, answer, citations with the answer's first."""
    cited = [{"document": p["document"], "paragraph": p["paragraph"]} for p in body["passages"]]
    if body["answer"]:
        cited.insert(0, cited.pop(body["answer"]["passage"]))
    return {"question": body["question"], "answer": body["answer"]["text"] if body["answer"] else None,
            "citations": cited}


def _conversation(client, *questions):
    history, bodies = [], []
    for q in questions:
        bodies.append(_ask(client, q, history))
        history.append(_item(bodies[-1]))
    return bodies


def _answer_passage(body):
    return body["passages"][body["answer"]["passage"]]


def test_she_is_resolved_to_the_mayor_named_in_the_earlier_answer(client):
    first, then = _conversation(client, "Who is the mayor of Calais?", "Who does she blame?")
    assert "Natacha Bouchart" in first["answer"]["text"]
    assert then["query"].startswith("she→Natacha Bouchart ")
    assert _answer_passage(then)["document"] == UK and "blame" in then["answer"]["text"]
    alone = _ask(client, "Who does she blame?")
    assert "→" not in alone["query"]  # nothing to resolve without history


def test_a_follow_up_does_not_give_the_same_sentence_again(client):
    first, then = _conversation(client, "Who is the mayor of Calais?", "What did she say?")
    assert then["answer"] is not None and then["answer"]["text"] != first["answer"]["text"]
    assert _answer_passage(then)["document"] == UK  # still about the mayor


def test_a_restated_question_gets_the_same_answer(client):
    first, again = _conversation(client, "How many survivors were there?", "How many survivors were there?")
    assert again["answer"]["text"] == first["answer"]["text"]


@pytest.mark.parametrize("follow_up", ["Why?", "What else?", "What happened next?", "Anything more?"])
def test_short_follow_ups_are_answered_near_the_previous_answer(client, follow_up):
    first, then = _conversation(client, "How many suspected traffickers were arrested?", follow_up)
    where = _answer_passage(first)
    assert then["passages"][0]["document"] == where["document"]
    assert abs(then["passages"][0]["paragraph"] - where["paragraph"]) <= 1
    assert then["answer"] is None or then["answer"]["text"] != first["answer"]["text"]


def test_a_bare_follow_up_is_refused_only_without_history(client):
    res = client.post("/api/ask", json={"question": "Why?"})
    assert res.status_code == 422 and res.mimetype == "application/problem+json"
    assert client.post("/api/ask", json={"question": "Why?", "history": [
        {"question": "How many survivors?", "answer": None, "citations": []}]}).status_code == 200


@pytest.mark.parametrize("focus", [UK, JOHNSON])
def test_the_conversation_focus_decides_between_documents_saying_the_same(client, focus):
    # both articles report the prosecutor's investigation; the one the conversation is about comes first
    doc = client.get(f"/api/documents/{focus}").get_json()
    paragraph = next(p["number"] for p in doc["paragraphs"] if "arrested" in doc["text"][p["start"]:p["end"]])
    history = [{"question": "Were there arrests?", "answer": None, "citations": [{"document": focus, "paragraph": paragraph}]}]
    body = _ask(client, "What investigation did the prosecutor open?", history)
    assert body["passages"][0]["document"] == focus


def test_history_without_citations_still_finds_the_focus(client):
    first = _ask(client, "Who is the mayor of Calais?")
    old_style = [{"question": first["question"], "answer": first["answer"]["text"]}]
    assert _ask(client, "Who does she blame?", old_style)["query"] == \
        _ask(client, "Who does she blame?", [_item(first)])["query"]


def test_the_answer_says_who_he_is_with_both_places_quoted(client):
    body = _ask(client, "Who said the traffickers were getting away with murder?")
    answer = body["answer"]
    [who] = answer["resolved"]
    assert answer["text"][who["start"]:who["end"]] == who["text"] == "He"
    assert who["refers_to"] == "Boris Johnson"
    doc = client.get(f"/api/documents/{who['document']}").get_json()
    assert doc["text"][who["doc_start"]:who["doc_end"]] == "Boris Johnson"
    para = doc["paragraphs"][who["paragraph"] - 1]
    assert para["start"] <= who["doc_start"] < para["end"]
    assert (answer["highlight"]["start"], answer["highlight"]["end"]) == (who["start"], who["end"])  # who-question


def test_an_answer_naming_its_subject_resolves_nothing(client):
    assert _ask(client, "Who is the mayor of Calais?")["answer"]["resolved"] == []


@pytest.mark.parametrize("citations", [
    "UK", [{"document": UK}], [{"document": UK, "paragraph": 0}], [{"document": 3, "paragraph": 1}],
    [{"document": UK, "paragraph": True}], [{"document": UK, "paragraph": 1}] * 51])
def test_malformed_history_citations_are_a_clear_422(client, citations):
    res = client.post("/api/ask", json={"question": "What else?", "history": [
        {"question": "q", "answer": None, "citations": citations}]})
    assert res.status_code == 422 and res.mimetype == "application/problem+json"
    assert "citations" in res.get_json()["detail"]


def test_a_citation_of_a_document_since_deleted_is_ignored(client):
    history = [{"question": "q", "answer": "gone", "citations": [{"document": "no-such-doc", "paragraph": 3}]}]
    assert client.post("/api/ask", json={"question": "What else?", "history": history}).status_code == 200


def test_a_name_standing_in_a_heading_is_cited_by_the_paragraph_it_labels(tmp_path):
    from service.web import create_app

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "harbour.md").write_text("Mayor Jane Smith\n\nShe said the harbour would reopen in May.\n")
    client = create_app({"corpus": tmp_path / "c", "index_dir": tmp_path / "i"}).test_client()
    [who] = _ask(client, "Who said the harbour would reopen?")["answer"]["resolved"]
    doc = client.get("/api/documents/harbour").get_json()
    assert who["refers_to"] == "Jane Smith" and doc["text"][who["doc_start"]:who["doc_end"]] == "Jane Smith"
    assert who["paragraph"] == 1 and doc["paragraphs"][0]["heading"] == "Mayor Jane Smith"
