"""Numbers and quotes you can trust: figures' measures, like-with-like disagreement, revised figures,
corroboration, who said what -- through /api/ask on the seed corpus and on documents written here."""

import json
from importlib.resources import files

import pytest

from service.cli import main
from service.qa.figures import figures_in, measure_of_question, revision_in
from tests.qa.test_conversation import _ask

UK = "uk-france-keep-all-options-on-the-table"
JOHNSON = "johnson-urges-france-after-channel-capsizing"
TRUST_SET = files("service.lab") / "data" / "figures-and-speech.json"


@pytest.mark.parametrize("sentence, figures", [
    ("Authorities found 31 bodies and two survivors while one person was missing.",
     [("31", "died"), ("2", "survived"), ("1", "missing")]),
    ("He said 34 people were believed to be on the boat.", [("34", "aboard")]),
    ("The ferry capsized with the loss of 31 lives.", [("31", "died")]),
    ("Mr Darmanin said four suspected people traffickers had been arrested.", [("4", "arrested")]),
    ("Five passengers died and 12 were injured.", [("5", "died"), ("12", "injured")]),
    ("No one died in the fire.", []),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_figure_knows_what_it_counts(sentence, figures):
    assert [(f.value, f.measure) for f in figures_in(sentence)] == figures


@pytest.mark.parametrize("question, measure", [
    ("How many people died?", "died"), ("How many people were on the boat?", "aboard"),
    ("how many survivors", "survived"), ("How many were arrested?", "arrested"),
    ("And how many passengers died?", "died"), ("How many people were killed?", "died"),
])
def test_a_counting_question_knows_its_measure(question, measure):
    assert measure_of_question(question)[0] == measure


def test_a_sentence_counting_another_measure_does_not_answer_a_count():
    from service.qa.figures import off_measure

    sentences = {"died": "The authority said 27 people had died when the boat capsized.",
                 "aboard": "He said 34 people were believed to be on the boat.",
                 "none": "The boat left from near Dunkirk."}
    assert off_measure("How many people were on the boat?", sentences) == {"died"}
    assert off_measure("How many people died?", sentences) == {"aboard"}
    assert off_measure("How many boats?", sentences) == frozenset()  # not a known measure: nothing ruled out
    assert off_measure("How many were injured?", sentences) == frozenset()  # no sentence counts it


@pytest.mark.parametrize("sentence, earlier, later", [
    ("French officials had previously stated there were 31 deaths but the death toll was revised down.", "31", None),
    ("The death toll was revised to 27, down from 31.", "31", "27"),
    ("The fire chief reported that six firefighters had been injured, a figure later corrected to eight.", "6", "8"),
    ("The toll had earlier been put at three.", "3", None),
])
def test_a_revision_names_the_earlier_figure(sentence, earlier, later):
    revision = revision_in(sentence, figures_in(sentence))
    assert (revision.earlier, revision.later) == (earlier, later)


def test_the_death_tolls_disagree_with_the_revised_one_marked_and_each_quoted(client):
    body = _ask(client, "How many people died?")
    entries = {d["value"]: d for d in body["disagreement"]}
    assert set(entries) == {"27", "31"} and all(d["measure"] == "died" for d in entries.values())
    assert entries["31"]["superseded_by"] == "27" and "revised" in entries["31"]["revision"]["text"]
    assert entries["27"]["documents"] == [UK] and JOHNSON in entries["31"]["documents"]
    for d in body["disagreement"]:
        quote = d["quote"]
        assert body["passages"][quote["passage"]]["text"][quote["start"]:quote["end"]] == quote["text"]
        assert d["value"] in quote["text"] or "thirty" in quote["text"].lower()


def test_a_figure_of_another_measure_is_never_a_disagreement(client):
    body = _ask(client, "How many people were on the boat?")
    assert "34" in body["answer"]["text"] and body["disagreement"] == []


def _client(tmp_path, documents: dict[str, str]):
    from service.web import create_app

    (tmp_path / "c").mkdir()
    for name, text in documents.items():
        (tmp_path / "c" / f"{name}.md").write_text(text)
    return create_app({"corpus": tmp_path / "c", "index_dir": tmp_path / "i"}).test_client()


def test_two_documents_stating_a_value_are_two_sources_for_it(tmp_path):
    client = _client(tmp_path, {
        "a": "# Quarry collapse\n\nThe quarry collapse killed 9 workers, police said.",
        "b": "# Quarry report\n\nNine workers died when the quarry wall collapsed.",
        "c": "# Quarry update\n\nThe union said 11 workers had died in the quarry collapse.",
    })
    entries = {d["value"]: d for d in _ask(client, "How many workers died in the quarry collapse?")["disagreement"]}
    assert sorted(entries["9"]["documents"]) == ["a", "b"] and entries["11"]["documents"] == ["c"]


def test_and_how_many_is_a_count_like_how_many(tmp_path):
    client = _client(tmp_path, {"crash": "# Coach crash\n\nThe coach crash killed 31 passengers. "
                                         "Officials said 40% of the passengers had been injured."})
    for question in ("How many passengers died?", "And how many passengers died?"):
        answer = _ask(client, question)["answer"]
        h = answer["highlight"]
        assert answer["text"][h["start"]:h["end"]] == "31", question


def test_what_did_x_say_quotes_x_and_says_who_speaks(client):
    body = _ask(client, "What did Boris Johnson say?")
    speaker = body["answer"]["speaker"]
    assert speaker["name"] == "Boris Johnson"
    document = client.get(f"/api/documents/{speaker['document']}").get_json()
    assert document["text"][speaker["start"]:speaker["end"]] == "Boris Johnson"
    assert "she said" not in body["answer"]["text"]  # not the mayor's words about him


def test_who_said_marks_the_speaker_and_resolves_him(client):
    answer = _ask(client, "Who said the boat had been very frail?")["answer"]
    h = answer["highlight"]
    assert answer["text"][h["start"]:h["end"]] == "He" and answer["speaker"]["name"] == "Gerald Darmanin"


def test_a_role_asked_about_is_the_person_holding_it(client):
    answer = _ask(client, "What did the mayor of Calais say?")["answer"]
    assert answer["speaker"]["name"] == "Natacha Bouchart"


def test_someone_the_documents_never_quote_gets_no_one_elses_words(client):
    body = _ask(client, "What did Priti Patel say?")
    assert body["answer"] is None and "Priti Patel" in body["message"]


def test_the_trust_set_meets_its_targets(runner, corpus):
    result = runner.invoke(main, ["eval", "trust", str(TRUST_SET), "--corpus", str(corpus), "--no-semantic", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["foreign_entries"] == 0 and figures["revisions_marked_share"] == 1.0
    assert figures["speaker_accuracy"] >= 0.9
