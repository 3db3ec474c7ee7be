"""Real shards for the end-to-end tests: the seed corpus split over SHARDS xapian-tcpsrv (or `docqa shard
serve`) processes, and `docqa serve` started on them. Fixtures live here so every shard test shares them."""

from __future__ import annotations

import shutil

import pytest

from index import build_index, load_index
from index.shards.build import build_shards
from index.shards.format import shard_name, shard_of
from service.shard_servers import ShardServer
from tests.conftest import REPO, Server

SHARDS = 3
TOKEN = "shard-test-token-1234"
SHARD_TOKEN = "shard-write-token-5678"
TIMEOUT = 1.0  # DOCQA_SHARD_TIMEOUT in these tests
QUESTION = {"question": "how many survivors were found?"}


@pytest.fixture
def shards(tmp_path, request):
    """The seed corpus's shards, each served by its own read-only xapian-tcpsrv, or for a test marked
    shard_writes by `docqa shard serve` (the same and the shard's write endpoint); stopped after the test."""
    shutil.copytree(REPO / "docs_corpus", tmp_path / "corpus")
    build_index(tmp_path / "corpus", tmp_path / "analysis")
    build_shards(load_index(tmp_path / "analysis"), tmp_path / "shards", SHARDS)
    token = SHARD_TOKEN if request.node.get_closest_marker("shard_writes") else None
    servers = [ShardServer(tmp_path / "shards" / shard_name(i), write_token=token).launch() for i in range(SHARDS)]
    for s in servers:
        s.wait_ready()
    yield servers
    for s in servers:
        s.stop()


@pytest.fixture
def start(tmp_path, shards):
    started = []

    def run(failure: str = "error") -> Server:
        writers = {"DOCQA_SHARD_WRITERS": ",".join(s.write_address for s in shards)} if shards[0].write_port else {}
        env = {"DOCQA_ENGINE": "xapian", "DOCQA_SHARDS": ",".join(s.address for s in shards), **writers,
               "DOCQA_SHARD_TOKEN": SHARD_TOKEN,
               "DOCQA_SHARD_TIMEOUT": str(TIMEOUT), "DOCQA_SHARD_FAILURE": failure, "DOCQA_API_TOKEN": TOKEN}
        server = Server(tmp_path / "corpus", tmp_path / "index", env)
        started.append(server)
        return server

    yield run
    for s in started:
        s.stop()


def holder(shards, document_id: str) -> ShardServer:
    return shards[shard_of(document_id, SHARDS)]
