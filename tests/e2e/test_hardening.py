"""Attacks on real `docqa serve` processes on 127.0.0.1: idle sockets, oversized bodies, a killed
server's child build, start-up while an index builds, index files damaged under a running server."""

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest
import requests

from index.store.build import build_lock  # held as a long build would: the server's builds wait behind it
from index.store.generations import current_generation
from tests.conftest import prebuilt

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One server for the tests that change nothing."""
    from tests.conftest import REPO, Server

    root = tmp_path_factory.mktemp("shared")
    corpus = root / "corpus"
    corpus.mkdir()
    for path in (REPO / "docs_corpus").iterdir():
        (corpus / path.name).write_bytes(path.read_bytes())
    s = Server(corpus, root / "index", {"DOCQA_MAX_BODY_BYTES": "65536"})
    yield s
    s.stop()


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def test_150_idle_and_trickling_sockets_do_not_lock_anyone_out(shared):
    sockets = []
    try:
        for i in range(150):
            sock = socket.create_connection(_host_port(shared.url), timeout=5)
            if i % 2:  # half trickle the start of a request that never ends
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            sockets.append(sock)
        time.sleep(0.5)  # let the server accept them all
        started = time.monotonic()
        response = requests.get(f"{shared.url}/api/health", timeout=2)
        assert response.status_code == 200 and time.monotonic() - started < 2
    finally:
        for sock in sockets:
            sock.close()


def test_a_body_over_the_limit_is_refused_by_content_length_before_it_is_read(shared):
    sock = socket.create_connection(_host_port(shared.url), timeout=10)
    try:
        sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 524288000\r\n\r\n" + b"{" * 1000)  # says 500 MB, sends 1 KB
        started = time.monotonic()
        reply = sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 413") and time.monotonic() - started < 5
    finally:
        sock.close()
    slightly_over = requests.post(f"{shared.url}/api/ask", json={"question": "x" * 70_000}, timeout=10)
    assert slightly_over.status_code == 413 and slightly_over.headers["Content-Type"] == "application/problem+json"
    assert requests.get(f"{shared.url}/api/health", timeout=5).status_code == 200


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_no_index_yet_means_503_with_retry_after_then_answers(server, index_dir):
    with build_lock(index_dir):
        s = server(ready=False)  # listening although no index exists and its build is blocked
        for path in ("/api/search?q=survivors", "/api/health"):
            response = requests.get(s.url + path, timeout=5)
            assert response.status_code == 503 and response.headers["Retry-After"] == "5"
            assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["index"]["state"] == "building"
    s.wait_ready(60)
    assert requests.get(f"{s.url}/api/search", params={"q": "survivors"}, timeout=5).json()["passages"]


def test_a_restart_serves_the_last_generation_and_changed_files_while_it_builds(server, corpus, index_dir,
                                                                             seed_index_template):
    prebuilt(index_dir, seed_index_template)  # the seed index with its vectors
    (corpus / "harbour.txt").write_text("The harbour master counted seventeen trawlers at dawn.")
    with build_lock(index_dir):
        s = server()
        health = requests.get(f"{s.url}/api/health", timeout=5).json()
        assert health["index"]["state"] == "building" and health["documents"] == 3
        hits = requests.get(f"{s.url}/api/search", params={"q": "harbour master trawlers"}, timeout=5).json()
        assert hits["passages"][0]["document"] == "harbour"  # from the overlay of changed files
    deadline = time.monotonic() + 60
    while requests.get(f"{s.url}/api/health", timeout=5).json()["index"]["state"] != "ready":
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_a_killed_servers_child_build_dies_with_it_and_its_overlay_is_swept(server, corpus, index_dir,
                                                                           seed_index_template):
    prebuilt(index_dir, seed_index_template)  # the seed index with its vectors
    (corpus / "harbour.txt").write_text("The harbour master counted seventeen trawlers at dawn.")
    with build_lock(index_dir):
        s = server(env={"DOCQA_CHILD_BUILD_BYTES": "1000"})  # overlay in process, build in a child
        deadline = time.monotonic() + 20
        while not (children := _children(s.proc.pid)):
            assert time.monotonic() < deadline, "no child build started"
            time.sleep(0.1)
        overlays = list(index_dir.glob("overlay-*"))
        assert [p.name for p in overlays] == [f"overlay-{s.proc.pid}"]
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        deadline = time.monotonic() + 5
        while any(_alive(c) for c in children):
            assert time.monotonic() < deadline, "the child build outlived its server"
            time.sleep(0.1)
    again = server()
    assert not (index_dir / overlays[0].name).exists()
    assert any("left by a server that stopped" in line for line in again.log)


def test_an_index_file_truncated_under_a_running_server_is_rebuilt(server, corpus, index_dir):
    s = server(env={"DOCQA_POLL_SECONDS": "0.3"})
    generation = current_generation(index_dir)
    target = generation / "bm25_data.npy"
    target.chmod(0o644)  # read-only as written
    os.truncate(target, target.stat().st_size // 2)
    deadline = time.monotonic() + 20
    while current_generation(index_dir) == generation:
        assert time.monotonic() < deadline and s.proc.poll() is None
        time.sleep(0.1)
    time.sleep(0.5)
    assert any("damaged under the running server" in line for line in s.log)
    body = requests.post(f"{s.url}/api/ask", json={"question": "how many survivors"}, timeout=10).json()
    assert "two survivors" in body["answer"]["text"] and s.proc.poll() is None
    assert json.loads(requests.get(f"{s.url}/api/health", timeout=5).text)["index"]["state"] == "ready"
