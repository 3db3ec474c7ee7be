"""Writes through the API: searchable at once, and ranked where the rebuilt index will rank them."""

import time

from service.web import create_app

TOKEN = "correct-horse-battery"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TEXT = ("Rescue crews said the survivors of the capsized dinghy were treated in a hospital in Calais after "
        "the French coastguard brought them ashore.")


def _ranks(client, question):
    passages = client.get("/api/search", query_string={"q": question, "k": 10}).get_json()["passages"]
    return [(p["document"], p["paragraph"]) for p in passages], [p["score"] for p in passages]


def test_a_document_written_through_the_api_ranks_the_same_before_and_after_the_rebuild(corpus, index_dir):
    # lexical on both sides: an overlay always ranks lexically, and so does the rebuilt index until its new
    # document is embedded; this compares the overlay's statistics with the rebuilt index's
    app = create_app({"corpus": corpus, "index_dir": index_dir, "api_token": TOKEN, "semantic": False})
    client, live = app.test_client(), app.extensions["docqa.index"]
    questions = ["where were the survivors treated", "survivors hospital Calais", "capsized dinghy coastguard"]
    with live._rebuild_lock:  # hold the background rebuild back: the overlay answers
        assert client.post("/api/documents", headers=AUTH, json={"id": "rescue", "text": TEXT}).status_code == 201
        assert live.current.overlay is not None
        before = {q: _ranks(client, q) for q in questions}
    deadline = time.monotonic() + 30
    while live.current.overlay is not None:  # the rebuild folds the write into the main index
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for q in questions:
        ranks, scores = _ranks(client, q)
        assert ("rescue", 1) in ranks[:5], q
        assert before[q][0][:5] == ranks[:5], q
        assert all(abs(a - b) <= 0.03 * b for a, b in zip(before[q][1][:5], scores[:5])), q
