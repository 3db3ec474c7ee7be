"""The semantic signal in the service: health, passages' semantic part, the background pass, the switch."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from index.semantic.vectors import PREFIX
from service.settings import ConfigError, load_settings
from service.web import create_app
from tests.conftest import REPO

TOKEN = "correct-horse-battery"


def _health(client) -> dict:
    return client.get("/api/health").get_json()


def _wait_semantic_ready(client, paragraphs: int | None = None, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        health = _health(client)
        semantic = health["semantic"]
        if semantic["state"] == "ready" and (paragraphs is None or semantic["total"] == paragraphs):  # main index's
            return health
        assert semantic["state"] != "failed", semantic
        assert time.monotonic() < deadline, health
        time.sleep(0.1)


def test_health_and_passages_say_the_semantic_signal_answered(client):
    health = _health(client)
    assert health["semantic"]["enabled"] is True and health["semantic"]["state"] == "ready"
    assert health["semantic"]["done"] == health["semantic"]["total"] == health["paragraphs"]
    assert "MiniLM" in health["semantic"]["model"]
    passages = client.post("/api/ask", json={"question": "how many people survived"}).get_json()["passages"]
    assert passages[0]["semantic"] > 0 and all(p["score"] >= p["semantic"] >= 0 for p in passages)


def test_turned_off_the_ranking_is_lexical_and_health_says_why(corpus, index_dir):
    client = create_app({"corpus": corpus, "index_dir": index_dir, "semantic": False}).test_client()
    assert _health(client)["semantic"] == {"enabled": False, "reason": "turned off (DOCQA_SEMANTIC=0)"}
    passages = client.post("/api/ask", json={"question": "how many people survived"}).get_json()["passages"]
    assert passages and all(p["semantic"] == 0 for p in passages)
    assert not list(index_dir.glob(PREFIX + "*"))  # nothing embedded


def test_a_fresh_index_is_embedded_in_the_background_and_a_write_embeds_only_its_document(corpus, index_dir):
    app = create_app({"corpus": corpus, "index_dir": index_dir, "api_token": TOKEN})
    client = app.test_client()
    health = _health(client)
    assert health["status"] == "ok" and health["semantic"]["total"] == health["paragraphs"]  # served before embedding
    health = _wait_semantic_ready(client)
    seed_paragraphs = health["paragraphs"]
    text = "Rescue crews said the survivors were flown by helicopter to a hospital in Boulogne.\n\nThey are recovering."
    assert client.post("/api/documents", headers={"Authorization": f"Bearer {TOKEN}"},
                       json={"id": "rescue", "text": text}).status_code == 201
    _wait_semantic_ready(client, seed_paragraphs + 2)
    [meta] = [json.loads(p.read_text()) for p in index_dir.glob(PREFIX + "*.json")]
    assert (meta["embedded"], meta["reused"]) == (2, seed_paragraphs)
    passages = client.post("/api/ask", json={"question": "which town were the survivors flown to"}).get_json()["passages"]
    assert passages[0]["document"] == "rescue" and passages[0]["semantic"] > 0


@pytest.mark.parametrize("value, expected", [("0", False), ("off", False), ("1", True), ("true", True)])
def test_docqa_semantic_switch(tmp_path, value, expected):
    assert load_settings(tmp_path, {"DOCQA_SEMANTIC": value}).semantic is expected


def test_a_bad_docqa_semantic_value_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="DOCQA_SEMANTIC"):
        load_settings(tmp_path, {"DOCQA_SEMANTIC": "maybe"})


def test_a_process_exiting_while_it_embeds_exits_normally(corpus, index_dir):
    """A daemon thread killed inside ONNX Runtime at exit aborts the process (exit 134): the pass is
    stopped between two batches and joined first."""
    script = ("import sys, time\nfrom service.web import create_app\n"
              "app = create_app({'corpus': sys.argv[1], 'index_dir': sys.argv[2]})\n"
              "deadline = time.monotonic() + 60\n"
              "while app.extensions['docqa.index'].semantic.done == 0 and time.monotonic() < deadline:\n"
              "    time.sleep(0.05)\n"
              "print(app.extensions['docqa.index'].semantic.state()['state'])\n")
    done = subprocess.run([sys.executable, "-c", script, str(corpus), str(index_dir)], capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "embedding"  # it exited in the middle of the pass
