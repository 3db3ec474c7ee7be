"""Answers on the seed corpus through /api/ask, and the span/number/disagreement units beneath."""

import pytest

from service.qa.questions import parse_question, question_kind
from service.qa.spans import dates, names, numbers, parse_number, places

UK = "uk-france-keep-all-options-on-the-table"
JOHNSON = "johnson-urges-france-after-channel-capsizing"

# (question, marked answer, document, paragraph) -- read off the two articles
SEED_QUESTIONS = [
    ("how many survivors", "two", JOHNSON, 8),
    ("How many people died?", "27", UK, 5),
    ("How many people were believed to be on the boat?", "34", JOHNSON, 8),
    ("How many bodies did authorities find?", "31", JOHNSON, 8),
    ("How many people were missing?", "one", JOHNSON, 8),
    ("How many suspected traffickers were arrested?", "four", JOHNSON, 18),
    ("How many traffickers have appeared in court?", "two", JOHNSON, 19),
    ("How many deaths did French officials first report?", "31", UK, 5),
    ("How much support has the UK given?", "£54 million", JOHNSON, 13),
    ("Who is the mayor of Calais?", "Natacha Bouchart", UK, 15),
    ("Who is the French interior minister?", "Gerald Darmanin", JOHNSON, 6),
    ("Who is the immigration compliance minister?", "Tom Pursglove", UK, 6),
    ("Who chaired the Cobra meeting?", "Johnson", JOHNSON, 11),
    ("Who is the Home Secretary?", "Priti Patel", JOHNSON, 21),
    ("Who called for an emergency meeting of European ministers?", "Emmanuel Macron", JOHNSON, 4),
    ("Who did Darmanin say he sent a list of further assistance to?", "Priti Patel", JOHNSON, 21),
    ("When did Johnson and Macron speak?", "Wednesday", UK, 3),
    ("When was the search called off?", "Wednesday", JOHNSON, 10),
    ("When was the search sparked?", "Wednesday", JOHNSON, 9),
    ("Where did the boat capsize?", "the French coast", JOHNSON, 1),
    ("Where are the survivors being treated?", "a French hospital", UK, 18),
    ("What did Darmanin liken the boat to?", None, UK, 19),
]


def _ask(client, question, history=None, top_k=5):
    body = {"question": question, "top_k": top_k}
    if history is not None:
        body["history"] = history
    response = client.post("/api/ask", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _marked(answer):
    h = answer["highlight"]
    return answer["text"][h["start"]:h["end"]] if h else None


@pytest.mark.parametrize("question, span, document, paragraph", SEED_QUESTIONS, ids=[q[0] for q in SEED_QUESTIONS])
def test_seed_questions(client, question, span, document, paragraph):
    body = _ask(client, question)
    answer = body["answer"]
    assert answer is not None, body["passages"][:1]
    passage = body["passages"][answer["passage"]]
    assert (passage["document"], passage["paragraph"]) == (document, paragraph)
    assert answer["text"] in passage["text"]  # quoted verbatim
    assert _marked(answer) == span


UNANSWERABLE = ["Who won the 1998 World Cup?", "How do I bake sourdough bread?", "What is the capital of Japan?",
                "Who scored in the Champions League final?", "What is the best pasta recipe?",
                "How many goals did Messi score?"]


@pytest.mark.parametrize("question", UNANSWERABLE, ids=UNANSWERABLE)
def test_questions_the_documents_cannot_answer_get_no_answer(client, question):
    body = _ask(client, question)
    assert body["answer"] is None and body["disagreement"] == []


def test_disagreeing_death_tolls_are_both_shown(client):
    body = _ask(client, "How many people died?", top_k=5)
    values = {d["value"]: d["passages"] for d in body["disagreement"]}
    assert set(values) == {"27", "31"}
    for value, documents in (("27", {UK}), ("31", {JOHNSON})):
        cited = {body["passages"][i]["document"] for i in values[value]}
        assert cited == documents
        for i in values[value]:
            assert value in body["passages"][i]["text"]


def test_agreeing_sources_are_not_a_disagreement(client):
    body = _ask(client, "how many survivors", top_k=5)
    assert {p["document"] for p in body["passages"]} == {UK, JOHNSON}
    assert body["disagreement"] == []


FOLLOW_UPS = [
    ("how many survivors", "where are they being treated?", "a French hospital"),
    ("Who is the mayor of Calais?", "who does she blame?", None),
    ("How many people died?", "and how many survived?", "two"),
    ("Who is the French interior minister?", "what did he liken the boat to?", None),
]


@pytest.mark.parametrize("first, follow_up, span", FOLLOW_UPS, ids=[f[1] for f in FOLLOW_UPS])
def test_follow_ups_use_the_history(client, first, follow_up, span):
    earlier = _ask(client, first)
    history = [{"question": first, "answer": earlier["answer"]["text"]}]
    body = _ask(client, follow_up, history=history)
    assert body["query"] != _ask(client, follow_up)["query"]  # history changed what was searched
    answer = body["answer"]
    assert answer is not None
    if span:
        assert _marked(answer) == span
    expected = {"who does she blame?": "British", "what did he liken the boat to?": "pool"}.get(follow_up)
    if expected:
        assert expected in answer["text"]


def test_same_question_without_history_is_unchanged(client):
    assert _ask(client, "how many survivors", history=[]) == {**_ask(client, "how many survivors"),
                                                              "took_ms": pytest.approx(0, abs=1e9)}


@pytest.mark.parametrize("text, value", [("two", 2), ("thirty-one", 31), ("31", 31), ("44,000", 44000),
                                         ("£54 million", 54e6), ("3.5 per cent", 3.5), ("one hundred and five", 105),
                                         ("5½", 5.5), ("30 to 50 thousand", 30)],
                         ids=["word", "hyphenated", "digits", "thousands", "currency", "percent", "compound",
                              "fraction", "range"])
def test_number_normalisation(text, value):
    assert parse_number(text) == pytest.approx(value)


def test_spans_by_type():
    text = ("Mr Darmanin said on Wednesday (24 November) that two survivors were treated in a French hospital, "
            "while £54 million went to patrols and the score was 49–15.")
    cut = lambda spans: [text[s:e] for s, e in spans]  # noqa: E731
    assert "two" in cut(numbers(text)) and "£54 million" in cut(numbers(text))
    assert "49" in cut(numbers(text)) and "15" in cut(numbers(text))  # a score is not a range
    assert cut(dates(text))[:2] == ["Wednesday", "24 November"]
    assert "Darmanin" in cut(names(text)) and "Wednesday" not in cut(names(text))
    assert cut(places(text)) == ["a French hospital"]


@pytest.mark.parametrize("question, kind", [("How many survivors?", "quantity"), ("how much money", "quantity"),
                                            ("Who is the mayor?", "who"), ("When did they speak?", "when"),
                                            ("In what year was it?", "when"), ("Where is Calais?", "where"),
                                            ("Why did it sink?", "other")], ids=lambda v: str(v))
def test_question_kinds(question, kind):
    assert question_kind(question) == kind


def test_follow_up_detection_adds_weighted_terms():
    history = [{"question": "how many survivors", "answer": "two survivors were taken to hospital"}]
    q = parse_question("where are they being treated?", history[-1], idf=lambda terms: [1.0] * len(terms))
    assert q.follow_up and q.search["treat"] == 1.0 and 0 < q.search["survivor"] < 1
    alone = parse_question("where are the survivors of the Channel crossing treated?")
    assert not alone.follow_up and set(alone.search) == set(alone.terms)


@pytest.mark.parametrize("question, text, span", [
    ("How many new drugs were specialty drugs?",
     "In 2013, 19 of 28 new drugs approved were specialty drugs.", "19"),  # the part, not the whole
    ("How many teams have played eight times?",
     "They were one of four teams that have played eight times.", "four"),  # "one of four" counts four
])
def test_how_many_reads_part_of_whole(tmp_path, question, text, span):
    from index import open_index
    from service.qa.answers import answer_question

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "facts.txt").write_text(text + "\n\nThe harbour opened in 1901 with 3 berths.\n")
    index, _ = open_index(tmp_path / "corpus", tmp_path / "index")
    answer = answer_question(index, question).answer
    assert answer is not None and answer.text == text
    assert answer.text[answer.highlight[0]:answer.highlight[1]] == span


def test_a_matched_compound_is_marked_once_and_whole(tmp_path):
    from index import open_index
    from service.qa.passages import find_passages

    (tmp_path / "corpus").mkdir()
    text = "Serum IL-10 levels rose, and two 2-year trials found IL 10 too."
    (tmp_path / "corpus" / "facts.txt").write_text(text + "\n")
    index, _ = open_index(tmp_path / "corpus", tmp_path / "index")
    _, _, passages = find_passages(index, "Did IL-10 levels rise in two trials?")
    marks = [text[s:e] for s, e in passages[0].highlights]
    assert marks == ["IL-10", "levels", "rose", "two", "2", "trials", "IL", "10"]  # no mark inside another
