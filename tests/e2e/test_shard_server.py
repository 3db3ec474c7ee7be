"""`docqa serve` on real xapian-tcpsrv shards: answers, writes, and shards that die, hang, come back or
drop idle connections while questions keep coming."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import requests

from index.shards.format import DOCUMENT_KEY, shard_name, shard_of
from index.shards.bindings import xapian
from tests.e2e.conftest import QUESTION, SHARDS, TIMEOUT, TOKEN, holder

pytestmark = pytest.mark.server


def test_answers_match_the_embedded_engine(start, shards, tmp_path):
    from service.web import create_app

    s = start()
    embedded = create_app({"corpus": tmp_path / "corpus", "index_dir": tmp_path / "analysis", "semantic": False})
    client = embedded.test_client()
    for question in ("how many survivors?", "who is the mayor of Calais?", "how many people died?",
                     "what did the Prime Minister say?"):
        theirs = requests.post(f"{s.url}/api/ask", json={"question": question}, timeout=10).json()
        mine = client.post("/api/ask", json={"question": question}).get_json()
        assert theirs["answer"] == mine["answer"], question
        assert theirs["disagreement"] == mine["disagreement"]
        assert [(p["document"], p["paragraph"], p["start"], p["end"], p["score"]) for p in theirs["passages"]] == [
            (p["document"], p["paragraph"], p["start"], p["end"], p["score"]) for p in mine["passages"]]
        assert "partial" not in theirs
    assert requests.get(f"{s.url}/api/documents", timeout=10).json()["documents"] == \
        client.get("/api/documents").get_json()["documents"]
    some = mine["passages"][0]["document"]
    assert requests.get(f"{s.url}/api/documents/{some}", timeout=10).json()["text"] == \
        client.get(f"/api/documents/{some}").get_json()["text"]
    page = requests.get(f"{s.url}/documents/{some}", timeout=10)  # the document page, from the shards' text
    assert page.status_code == 200 and client.get(f"/api/documents/{some}").get_json()["title"] in page.text
    assert requests.get(f"{s.url}/", timeout=10).status_code == 200
    health = requests.get(f"{s.url}/api/health", timeout=10).json()
    assert health["status"] == "ok" and health["index"]["engine"] == "xapian" and health["paragraphs"] == 45
    assert [(h["address"], h["state"]) for h in health["shards"]] == [(x.address, "up") for x in shards]
    # exported without vectors: the semantic signal is on but has nothing to compare with, and says so
    assert health["semantic"]["state"] == "lexical" and health["semantic"]["done"] == 0
    assert {h["vectors"]["state"] for h in health["shards"] if h["vectors"]["paragraphs"]} == {"missing"}


@pytest.mark.shard_writes
def test_writes_go_to_the_documents_shard_and_are_visible_on_the_next_query(start, shards, tmp_path):
    s = start()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    doc = {"id": "lifeboat-log", "title": "Lifeboat log", "text": "The Dunkirk lifeboat rescued nine fishermen at dawn."}
    assert requests.post(f"{s.url}/api/documents", json=doc, headers=auth, timeout=10).status_code == 201
    body = requests.get(f"{s.url}/api/search", params={"q": "Dunkirk lifeboat fishermen"}, timeout=10).json()
    assert body["passages"][0]["document"] == "lifeboat-log"
    x = xapian()
    for number in range(SHARDS):
        db = x.Database(str(tmp_path / "shards" / shard_name(number)))
        assert bool(db.get_metadata(DOCUMENT_KEY + "lifeboat-log")) == (number == shard_of("lifeboat-log", SHARDS))
    assert (tmp_path / "corpus" / "lifeboat-log.md").exists()  # the corpus stays the source of truth
    assert requests.delete(f"{s.url}/api/documents/lifeboat-log", headers=auth, timeout=10).status_code == 200
    body = requests.get(f"{s.url}/api/search", params={"q": "Dunkirk lifeboat fishermen"}, timeout=10).json()
    assert all(p["document"] != "lifeboat-log" for p in body["passages"])
    assert requests.get(f"{s.url}/api/documents/lifeboat-log", timeout=10).status_code == 404
    stream = QueryStream(s.url)  # questions keep coming while documents are written to every shard
    for n in range(6):
        doc = {"id": f"harbour-{n}", "text": f"Harbour note {n}: the ferry from Calais was late by {n + 2} hours."}
        assert requests.post(f"{s.url}/api/documents", json=doc, headers=auth, timeout=10).status_code == 201
    results = stream.stop()
    assert results and {r[1] for r in results} == {200}
    assert all(h["state"] == "up" for h in requests.get(f"{s.url}/api/health", timeout=10).json()["shards"])
    assert len(requests.get(f"{s.url}/api/documents", timeout=10).json()["documents"]) == 8


class QueryStream:
    """Questions asked back to back in a thread: (seconds since start, status, elapsed, body) each."""

    def __init__(self, url: str):
        self.url, self.results, self._stop = url, [], threading.Event()
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            response = requests.post(f"{self.url}/api/ask", json=QUESTION, timeout=30)
            self.results.append((began - self.started, response.status_code, time.monotonic() - began,
                                 response.headers.get("Content-Type"), response.json()))
            time.sleep(0.02)

    def since(self, moment: float) -> list:
        return [r for r in self.results if r[0] >= moment]

    def stop(self) -> list:
        self._stop.set()
        self.thread.join(30)
        return self.results


def wait_until_all_up(url: str, within: float = 10.0) -> float:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(s["state"] == "up" for s in requests.get(f"{url}/api/health", timeout=10).json()["shards"]):
            return time.monotonic()
        time.sleep(0.1)
    raise AssertionError("a shard stayed down")


def test_error_mode_a_shard_killed_stopped_and_restarted_during_a_query_stream(start, shards):
    s = start("error")
    victim = holder(shards, "johnson-urges-france-after-channel-capsizing")
    stream = QueryStream(s.url)
    time.sleep(1.0)
    killed = time.monotonic() - stream.started
    victim.stop()
    time.sleep(1.5)
    health = requests.get(f"{s.url}/api/health", timeout=10).json()
    assert health["status"] == "degraded"
    assert {h["address"]: h["state"] for h in health["shards"]}[victim.address] == "down"
    victim.start()  # the same port: the host is back
    back = wait_until_all_up(s.url) - stream.started
    time.sleep(0.5)
    stopped = time.monotonic() - stream.started
    victim.signal(signal.SIGSTOP)
    time.sleep(2.5)
    victim.signal(signal.SIGCONT)
    resumed = wait_until_all_up(s.url) - stream.started
    time.sleep(0.8)
    results = stream.stop()
    assert max(r[2] for r in results) < 2 * TIMEOUT + 0.5  # no request waits much beyond the timeout
    assert {r[1] for r in results} <= {200, 503}
    for _, status, _, kind, body in results:
        if status == 503:
            assert kind == "application/problem+json" and victim.address in body["detail"]
    during_kill = [r for r in results if killed + 0.3 < r[0] < back - 0.3]
    during_stop = [r for r in results if stopped + TIMEOUT + 0.3 < r[0] < stopped + 2.4]
    assert during_kill and all(r[1] == 503 for r in during_kill)
    assert during_stop and all(r[1] == 503 for r in during_stop)
    for moment, until in ((back + 0.2, stopped), (resumed + 0.2, resumed + 1.0)):  # full answers, no restart
        after = [r for r in stream.since(moment) if r[0] + r[2] < until]
        bad = [(r[0], r[1], r[4]) for r in after if r[1] != 200 or "two survivors" not in r[4]["answer"]["text"]]
        assert after and not bad, (moment, bad)


def test_partial_mode_answers_from_the_other_shards_and_says_which_are_missing(start, shards):
    s = start("partial")
    victim = holder(shards, "johnson-urges-france-after-channel-capsizing")
    full = requests.post(f"{s.url}/api/ask", json=QUESTION, timeout=10).json()
    assert "partial" not in full and {p["document"] for p in full["passages"]} >= {
        "johnson-urges-france-after-channel-capsizing"}
    stream = QueryStream(s.url)
    time.sleep(0.5)
    killed = time.monotonic() - stream.started
    victim.stop()
    time.sleep(1.5)
    victim.start()
    back = wait_until_all_up(s.url) - stream.started
    time.sleep(0.8)
    results = stream.stop()
    assert {r[1] for r in results} == {200}
    assert max(r[2] for r in results) < 2 * TIMEOUT + 0.5
    during = [r[4] for r in results if killed + 0.3 < r[0] < back - 0.3]
    assert during and all(b["partial"] is True and b["missing_shards"] == [victim.address] for b in during)
    assert all(p["document"] != "johnson-urges-france-after-channel-capsizing" for b in during for p in b["passages"])
    after = [r[4] for r in results if r[0] > back + 0.2]
    assert after and all("partial" not in b and b["passages"] == full["passages"] for b in after)


def test_connections_the_shards_dropped_while_idle_are_reopened_transparently(tmp_path, shards, start):
    for shard in shards:  # the same shards, now closing connections idle for 300 ms
        shard.stop()
        shard.idle_timeout_ms = 300
        shard.start()
    s = start("error")
    first = requests.post(f"{s.url}/api/ask", json=QUESTION, timeout=10).json()
    for _ in range(2):
        time.sleep(1.0)
        response = requests.post(f"{s.url}/api/ask", json=QUESTION, timeout=10)
        assert response.status_code == 200 and response.json()["passages"] == first["passages"], response.json()
    assert all(h["state"] == "up" for h in requests.get(f"{s.url}/api/health", timeout=10).json()["shards"])
