"""`docqa serve` on real shards with the semantic signal (issue #36): the seed corpus exported with its
vectors into 3 shards served by `docqa shard serve` (write endpoint, background embedding), the real model
on the query node. Answers match the embedded engine's; /api/health says each shard's vectors; a written
document is embedded on its shard's host and then ranks semantically."""

from __future__ import annotations

import shutil
import time

import pytest
import requests

from index import load_index
from index.semantic.vectors import attach
from index.shards.build import build_shards
from index.shards.format import shard_name, shard_of
from service.shard_servers import ShardServer
from tests.conftest import REPO, Server
from tests.e2e.conftest import SHARD_TOKEN, SHARDS, TOKEN

pytestmark = pytest.mark.server
QUESTIONS = ("how many survivors were found?", "who is the mayor of Calais?", "what did the Prime Minister say?")


@pytest.fixture
def semantic_shards(tmp_path, seed_index_template):
    shutil.copytree(REPO / "docs_corpus", tmp_path / "corpus")
    shutil.copytree(seed_index_template, tmp_path / "analysis")
    index = load_index(tmp_path / "analysis")
    index.vectors = attach(index)
    build_shards(index, tmp_path / "shards", SHARDS)
    servers = [ShardServer(tmp_path / "shards" / shard_name(i), write_token=SHARD_TOKEN, embed=True).launch()
               for i in range(SHARDS)]
    for s in servers:
        s.wait_ready()
    env = {"DOCQA_ENGINE": "xapian", "DOCQA_SHARDS": ",".join(s.address for s in servers),
           "DOCQA_SHARD_WRITERS": ",".join(s.write_address for s in servers), "DOCQA_SHARD_TOKEN": SHARD_TOKEN,
           "DOCQA_API_TOKEN": TOKEN, "DOCQA_POLL_SECONDS": "0.5"}
    server = Server(tmp_path / "corpus", tmp_path / "index", env)
    yield server, servers, tmp_path
    server.stop()
    for s in servers:
        s.stop()


def _health(url: str) -> dict:
    return requests.get(f"{url}/api/health", timeout=10).json()


def test_answers_through_shards_with_vectors_are_the_embedded_engines(semantic_shards):
    from service.web import create_app

    server, shards, tmp_path = semantic_shards
    health = _health(server.url)
    assert health["semantic"]["state"] == "ready" and health["semantic"]["done"] == health["semantic"]["total"] > 0
    assert [s["vectors"]["state"] for s in health["shards"]] == ["complete"] * SHARDS
    embedded = create_app({"corpus": tmp_path / "corpus", "index_dir": tmp_path / "analysis"}).test_client()
    for question in QUESTIONS:
        remote = requests.post(f"{server.url}/api/ask", json={"question": question}, timeout=30).json()
        local = embedded.post("/api/ask", json={"question": question}).get_json()
        assert remote["answer"]["text"] == local["answer"]["text"]
        assert [(p["document"], p["paragraph"]) for p in remote["passages"]][:3] == \
            [(p["document"], p["paragraph"]) for p in local["passages"]][:3]
        assert any(p["semantic"] != 0 for p in remote["passages"])  # ranked with the vectors from the shards


def test_a_written_document_is_embedded_on_its_shards_host_and_health_follows(semantic_shards):
    server, shards, _ = semantic_shards
    auth = {"Authorization": f"Bearer {TOKEN}"}
    text = "\n\n".join(f"Harbour note {n}: the lifeboat crew from Dunkirk rescued {n + 2} fishermen at dawn."
                       for n in range(6))
    response = requests.post(f"{server.url}/api/documents", json={"id": "harbour-notes", "text": text}, headers=auth,
                             timeout=30)
    assert response.status_code == 201
    shard = shard_of("harbour-notes", SHARDS)
    deadline, seen = time.monotonic() + 90, []
    while time.monotonic() < deadline:
        health = _health(server.url)
        seen.append(health["shards"][shard]["vectors"]["state"])
        if health["semantic"]["state"] == "ready" and seen[-1] == "complete":
            break
        time.sleep(0.2)
    assert seen[-1] == "complete", f"the new paragraphs were not embedded on their host: {seen[-5:]}"
    assert health["shards"][shard]["vectors"]["vectors"] == health["shards"][shard]["vectors"]["paragraphs"]
    passages = requests.get(f"{server.url}/api/search", params={"q": "lifeboat crew rescued fishermen at dawn"},
                            timeout=30).json()["passages"]
    assert passages[0]["document"] == "harbour-notes" and any(p["semantic"] != 0 for p in passages)
