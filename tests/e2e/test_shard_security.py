"""Shards under attack (issue #35), with real `docqa shard serve` processes and a real `docqa serve`:
a shard port is read-only to anyone who connects, writes need the token, bad data is a 503 naming the shard."""

from __future__ import annotations

import json

import pytest
import requests

from index.shards.format import TEXT_KEY, VERSION_KEY, shard_name
from index.shards.bindings import xapian
from tests.e2e.conftest import QUESTION, SHARD_TOKEN, TOKEN, holder

pytestmark = pytest.mark.server
VICTIM = "johnson-urges-france-after-channel-capsizing"  # holds the answer to QUESTION


def _poison(db) -> None:
    """The attack of issue #35: rewrite every paragraph's text in the shard, then its version key."""
    x = xapian()
    for item in db.postlist(""):
        document = db.get_document(item.docid)
        data = json.loads(document.get_data())
        data["x"] = "ZERO survivors POISONED. " * 3 + data["x"]
        poisoned = x.Document()
        for t in document.termlist():
            poisoned.add_term(t.term, t.wdf)
        poisoned.set_data(json.dumps(data))
        db.replace_document(item.docid, poisoned)
    db.set_metadata(VERSION_KEY, "poisoned")
    db.commit()


@pytest.mark.shard_writes
def test_anyone_who_reaches_a_shard_port_cannot_rewrite_answers(start, shards):
    s = start()
    victim = holder(shards, VICTIM)
    x = xapian()
    with pytest.raises(x.Error):
        _poison(x.remote_open_writable(victim.host, victim.port, 2000, 2000))
    body = requests.post(f"{s.url}/api/ask", json=QUESTION, timeout=10).json()
    assert "two survivors" in body["answer"]["text"]
    assert all("POISONED" not in p["text"] for p in body["passages"])


@pytest.mark.shard_writes
def test_a_shards_write_endpoint_takes_only_the_token(start, shards, tmp_path):
    s = start()
    victim = holder(shards, VICTIM)
    folder = tmp_path / "shards" / shard_name(shards.index(victim))
    version = xapian().Database(str(folder)).get_metadata(VERSION_KEY)
    url = f"http://{victim.write_address}/documents/{VICTIM}"
    for headers in ({}, {"Authorization": "Bearer wrong-token-123"}, {"Authorization": f"Basic {SHARD_TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}"}):  # the API token is not the shard's
        refused = requests.delete(url, headers=headers, timeout=10)
        assert refused.status_code == 401 and refused.headers["Content-Type"] == "application/problem+json"
    shard = xapian().Database(str(folder))
    assert shard.get_metadata(VERSION_KEY) == version and shard.get_metadata(TEXT_KEY + VICTIM)
    assert requests.get(f"{s.url}/api/documents/{VICTIM}", timeout=10).status_code == 200
    other = next(d for d in ("a", "b", "c", "d", "e") if holder(shards, d) is not victim)
    misrouted = requests.delete(f"http://{victim.write_address}/documents/{other}", timeout=10,
                                headers={"Authorization": f"Bearer {SHARD_TOKEN}"})
    assert misrouted.status_code == 409 and "list the shards in order" in misrouted.json()["detail"]
    auth = {"Authorization": f"Bearer {TOKEN}"}  # through docqa serve, which holds the shard token: written
    assert requests.delete(f"{s.url}/api/documents/{VICTIM}", headers=auth, timeout=10).status_code == 200
    assert not xapian().Database(str(folder)).get_metadata(TEXT_KEY + VICTIM)


def test_unreadable_data_in_a_shard_is_a_503_naming_it_and_health_says_so(start, shards, tmp_path):
    victim = holder(shards, VICTIM)
    x = xapian()
    db = x.WritableDatabase(str(tmp_path / "shards" / shard_name(shards.index(victim))), x.DB_OPEN)
    for item in db.postlist(""):  # every paragraph's stored data: bytes that are not UTF-8
        document = db.get_document(item.docid)
        document.set_data(b"\xff\xfe\x00broken")
        db.replace_document(item.docid, document)
    db.set_metadata(TEXT_KEY + VICTIM, b"\xc3\x28 not UTF-8")
    db.commit()
    db.close()
    s = start()
    for method, path, body in (("post", "/api/ask", QUESTION), ("get", f"/api/documents/{VICTIM}", None)):
        response = requests.request(method, s.url + path, json=body, timeout=10)
        assert response.status_code == 503 and response.headers["Content-Type"] == "application/problem+json"
        assert victim.address in response.json()["detail"] and "cannot be read" in response.json()["detail"]
    health = requests.get(f"{s.url}/api/health", timeout=10).json()
    assert health["status"] == "degraded"
    states = {h["address"]: h for h in health["shards"]}
    assert "UnicodeDecodeError" in states[victim.address]["data_error"]
    assert all("data_error" not in h for a, h in states.items() if a != victim.address)
