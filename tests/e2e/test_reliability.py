"""Writes, live updates, crash safety and load against real `docqa serve` processes on 127.0.0.1."""

import json
import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from index import build_index, load_index, open_index
from index.errors import IndexCorruptError
from index.store.generations import current_generation
from tests.conftest import DOCQA

pytestmark = pytest.mark.server
TOKEN = "correct-horse-battery"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _post(url, headers=None, **kwargs):
    return requests.post(f"{url}/api/documents", headers=headers or {}, timeout=30, **kwargs)


def _search(url, q):
    return requests.get(f"{url}/api/search", params={"q": q, "k": 3}, timeout=10).json()["passages"]


def test_auth_table(server):
    closed = server()  # no token configured: writes refused
    assert _post(closed.url, AUTH, json={"id": "x1", "text": "Hello there."}).status_code == 403
    assert requests.delete(f"{closed.url}/api/documents/x1", headers=AUTH, timeout=10).status_code == 403
    closed.stop()
    s = server(env={"DOCQA_API_TOKEN": TOKEN})
    doc = {"id": "ferry-notes", "text": "The ferry timetable changed in spring."}
    for headers, status in (({}, 401), ({"Authorization": "Bearer wrong-token"}, 401),
                            ({"Authorization": f"Basic {TOKEN}"}, 401), (AUTH, 201)):
        response = _post(s.url, headers, json=doc)
        assert response.status_code == status and response.headers["Content-Type"].startswith(
            "application/problem+json" if status >= 400 else "application/json")
    assert _post(s.url, AUTH, json=doc).status_code == 200  # replaced
    for headers, status in (({}, 401), ({"Authorization": "Bearer nope-nope"}, 401), (AUTH, 200), (AUTH, 404)):
        assert requests.delete(f"{s.url}/api/documents/ferry-notes", headers=headers, timeout=10).status_code == status
    assert not any(TOKEN in line for line in s.log)  # the token never reaches the logs


BAD_WRITES = [
    ("id-traversal", {"json": {"id": "../../etc/passwd", "text": "x y z"}}, 422),
    ("id-upper", {"json": {"id": "Upper", "text": "x y z"}}, 422),
    ("id-too-long", {"json": {"id": "a" * 101, "text": "x y z"}}, 422),
    ("id-missing", {"json": {"text": "x y z"}}, 422),
    ("text-empty", {"json": {"id": "ok", "text": "   "}}, 422),
    ("title-multiline", {"json": {"id": "ok", "title": "a\nb", "text": "x y z"}}, 422),
    ("file-traversal-name", {"files": {"file": ("../../etc/passwd.txt", b"hello world")}}, 422),
    ("file-pdf-damaged", {"files": {"file": ("report.pdf", b"%PDF-1.4 binary")}}, 422),
    ("file-exe", {"files": {"file": ("tool.exe", b"MZ\x90\x00binary")}}, 415),
    ("file-binary", {"files": {"file": ("blob.txt", b"\x00\x01\x02\x03" * 10)}}, 415),
    ("file-latin1", {"files": {"file": ("cafe.txt", "caf\xe9 cr\xe8me".encode("latin-1"))}}, 415),
    ("file-too-big", {"files": {"file": ("big.txt", b"word " * 3000)}}, 413),
    ("text-plain-body", {"data": b"hello", "headers": {"Content-Type": "text/plain"}}, 415),
]


@pytest.mark.parametrize("kwargs, status", [b[1:] for b in BAD_WRITES], ids=[b[0] for b in BAD_WRITES])
def test_write_limits(server, corpus, kwargs, status):
    s = server(env={"DOCQA_API_TOKEN": TOKEN, "DOCQA_MAX_BODY_BYTES": "8192"})
    headers = {**AUTH, **kwargs.pop("headers", {})}
    before = sorted(p.name for p in corpus.iterdir())
    response = _post(s.url, headers, **kwargs)
    assert response.status_code == status and response.headers["Content-Type"] == "application/problem+json"
    assert sorted(p.name for p in corpus.iterdir()) == before  # nothing written, inside or outside
    assert requests.delete(f"{s.url}/api/documents/..%2F..%2Fetc%2Fpasswd", headers=AUTH, timeout=10).status_code in (404, 422)


def test_added_text_is_searchable_within_two_seconds_then_gone(server, corpus):
    s = server(env={"DOCQA_API_TOKEN": TOKEN})
    started = time.monotonic()
    response = _post(s.url, AUTH, files={"file": ("lifeboats.md", b"# Lifeboats\n\nThe Dunkirk lifeboat crew rescued "
                                                                  b"eleven swimmers near the breakwater.")})
    assert response.status_code == 201
    while not any(p["document"] == "lifeboats" for p in _search(s.url, "Dunkirk lifeboat breakwater")):
        assert time.monotonic() - started < 2.0
        time.sleep(0.05)
    assert (corpus / "lifeboats.md").is_file()
    answer = requests.post(f"{s.url}/api/ask", json={"question": "how many swimmers did the lifeboat crew rescue?"},
                           timeout=10).json()["answer"]
    assert answer["text"][answer["highlight"]["start"]:answer["highlight"]["end"]] == "eleven"
    assert requests.delete(f"{s.url}/api/documents/lifeboats", headers=AUTH, timeout=10).status_code == 200
    assert not any(p["document"] == "lifeboats" for p in _search(s.url, "Dunkirk lifeboat breakwater"))
    assert requests.get(f"{s.url}/api/documents/lifeboats", timeout=10).status_code == 404
    assert not (corpus / "lifeboats.md").exists()
    # the background rebuild folds the writes into the main index; answers stay the same
    time.sleep(1.0)
    assert requests.get(f"{s.url}/api/health", timeout=10).json()["documents"] == 2


def test_files_changed_by_other_means_are_picked_up(server, corpus):
    s = server(env={"DOCQA_POLL_SECONDS": "0.5"})
    (corpus / "harbour.txt").write_text("The harbour master counted seventeen trawlers at dawn.")
    deadline = time.monotonic() + 10
    while not any(p["document"] == "harbour" for p in _search(s.url, "harbour master trawlers")):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_kill_during_indexing_then_restart_answers(tmp_path, corpus, index_dir, server):
    build_index(corpus, index_dir)
    for i in range(200):
        (corpus / f"bulk{i:03d}.txt").write_text("\n\n".join(f"Tide table {j} for pier {i}." for j in range(40)))
    env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir)}
    for delay in (0.3, 0.8):
        proc = subprocess.Popen([DOCQA, "index"], env=env)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    s = server(env={"DOCQA_SEMANTIC": "0"})  # 8,000 paragraphs would take minutes to embed: the lexical build is tested
    body = requests.post(f"{s.url}/api/ask", json={"question": "how many survivors"}, timeout=30).json()
    assert "two survivors" in body["answer"]["text"]
    assert requests.get(f"{s.url}/api/health", timeout=10).json()["documents"] == 202


def test_kill_during_upload_keeps_every_fully_written_document(server, corpus):
    s = server(env={"DOCQA_API_TOKEN": TOKEN})
    assert _post(s.url, AUTH, json={"id": "first", "text": "The pilot boat Orion docked at Folkestone."}).status_code == 201

    def slow_upload():
        try:
            body = b"x" * 200_000
            requests.post(f"{s.url}/api/documents", headers={**AUTH, "Content-Type": "application/json"},
                          data=(chunk for chunk in [b'{"id": "second", "text": "', body, b'"}']), timeout=5)
        except requests.RequestException:
            pass

    t = threading.Thread(target=slow_upload)
    t.start()
    time.sleep(0.05)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    t.join()
    assert not any(p.name.endswith(".tmp") and not p.name.startswith(".") for p in corpus.iterdir())
    again = server(env={"DOCQA_API_TOKEN": TOKEN})
    hits = _search(again.url, "pilot boat Orion Folkestone")
    assert hits and hits[0]["document"] == "first"
    assert "two survivors" in requests.post(f"{again.url}/api/ask", json={"question": "how many survivors"},
                                            timeout=10).json()["answer"]["text"]


def test_every_index_file_corrupted_in_turn_is_rebuilt(corpus, index_dir):
    build_index(corpus, index_dir)
    names = sorted(p.name for p in current_generation(index_dir).iterdir())
    assert len(names) >= 15
    for name in names:
        path = current_generation(index_dir) / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x5A
        path.chmod(0o644)  # generation files are read-only as written
        path.write_bytes(bytes(data))
        with pytest.raises(IndexCorruptError):
            load_index(index_dir)
        index, report = open_index(corpus, index_dir)
        assert report is not None, name
        assert index.search("survivors", 1)[0].paragraph.document_id.startswith("johnson")


@pytest.mark.slow
def test_bounded_load_mixed_ask_and_search(server):
    s = server()
    questions = ["how many survivors", "How many people died?", "who is the mayor of Calais", "joint patrols",
                 "where are the survivors treated", "French coast", "£54 million support", "Who won the World Cup?"]
    errors, done = [], []
    rss = lambda: int(next(l for l in open(f"/proc/{s.proc.pid}/status") if l.startswith("VmRSS")).split()[1])  # noqa

    def client(n):
        session = requests.Session()
        for i in range(125):
            q = questions[(n + i) % len(questions)]
            r = (session.post(f"{s.url}/api/ask", json={"question": q}, timeout=30) if i % 2 else
                 session.get(f"{s.url}/api/search", params={"q": q}, timeout=30))
            (done if r.status_code == 200 else errors).append(r.status_code)

    warm = [threading.Thread(target=client, args=(n,)) for n in range(2)]
    [t.start() for t in warm]
    [t.join() for t in warm]
    before = rss()
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.monotonic() - started
    after = rss()
    assert errors == [] and len(done) == 2000 + 250
    assert after - before < 30 * 1024, f"RSS grew {before} -> {after} kB"
    print(json.dumps({"requests": 2000, "clients": 16, "seconds": round(elapsed, 2),
                      "rps": round(2000 / elapsed, 1), "rss_before_kb": before, "rss_after_kb": after}))


def test_large_corpora_are_built_in_a_child_process(caplog, corpus, index_dir):
    """The server stays at serving memory: over the size threshold, builds run as `python -m service index`."""
    import logging

    from service.web import create_app

    caplog.set_level(logging.INFO)  # child_build_bytes 0: every corpus counts as large here
    app = create_app({"corpus": corpus, "index_dir": index_dir, "api_token": TOKEN, "child_build_bytes": 0})
    live = app.extensions["docqa.index"]
    assert any("child process" in r.getMessage() for r in caplog.records)
    assert not any("index built" in r.getMessage() for r in caplog.records)  # not built in this process
    assert live.current.num_paragraphs == 45
    client = app.test_client()
    assert client.post("/api/documents", headers=AUTH, json={"id": "tides", "text": "Neap tides are low."}).status_code == 201
    deadline = time.monotonic() + 60
    while live.current.overlay is not None:  # the background rebuild lands in a child-built main index
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert live.current.main.search("neap tides", 1)[0].paragraph.document_id == "tides"
