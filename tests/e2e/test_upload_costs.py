"""What an upload may cost a real `docqa serve` on 127.0.0.1, and that an acknowledged upload stays
(issue #35): per-document limits, parse slots, no parse under the write lock, embedding that stops
with its generation, the last good version of a file that can no longer be read."""

import threading
import time

import pytest
import requests

from index.store.build import build_lock
from tests.made_files import bloated_docx, long_pdf, looping_pdf, minutes_docx

pytestmark = pytest.mark.server
TOKEN = "upload-cost-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _upload(url: str, name: str, data: bytes, timeout: float = 90) -> requests.Response:
    return requests.post(f"{url}/api/documents", headers=AUTH, files={"file": (name, data)}, timeout=timeout)


def _wait(condition, within: float = 30, every: float = 0.1):
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def test_an_acknowledged_upload_is_never_dropped_by_a_rebuild_that_cannot_read_it(server, corpus):
    s = server(env={"DOCQA_API_TOKEN": TOKEN, "DOCQA_POLL_SECONDS": "0.3", "DOCQA_SEMANTIC": "0"})
    good = minutes_docx()
    assert _upload(s.url, "minutes.docx", good).status_code == 201
    built = requests.get(f"{s.url}/api/health", timeout=5).json()["index"]["built_at"]
    time.sleep(1.1)  # built_at counts seconds
    (corpus / "minutes.docx").write_bytes(good[:2000])  # the file turns unreadable under the server
    _wait(lambda: requests.get(f"{s.url}/api/health", timeout=5).json()["index"]["built_at"] != built)
    time.sleep(0.5)
    document = requests.get(f"{s.url}/api/documents/minutes", timeout=5)
    assert document.status_code == 200 and "£3.2 million" in document.json()["text"]  # the last good version
    health = requests.get(f"{s.url}/api/health", timeout=5).json()
    assert health["status"] == "degraded"
    [entry] = health["documents_unreadable"]
    assert entry["id"] == "minutes" and entry["file"] == "minutes.docx" and "damaged" in entry["reason"]
    assert any(" ERROR " in line and "minutes.docx" in line for line in s.log)
    (corpus / "minutes.docx").write_bytes(good)  # readable again: read at the next build
    _wait(lambda: not requests.get(f"{s.url}/api/health", timeout=5).json()["documents_unreadable"])
    assert requests.get(f"{s.url}/api/health", timeout=5).json()["status"] == "ok"


def test_uploads_over_a_documents_limits_are_refused_saying_which_limit(server, corpus):
    s = server(env={"DOCQA_API_TOKEN": TOKEN, "DOCQA_SEMANTIC": "0", "DOCQA_MAX_DOCUMENT_PARAGRAPHS": "2000",
                    "DOCQA_MAX_DOCUMENT_CHARS": "1000000"})
    before = sorted(p.name for p in corpus.iterdir())
    many = _upload(s.url, "dues.docx", bloated_docx(3000))  # 60 KB that becomes 3,000 paragraphs
    assert many.status_code == 413 and many.headers["Content-Type"] == "application/problem+json"
    assert "3,000 paragraphs; the limit is 2,000" in many.json()["detail"]
    assert "DOCQA_MAX_DOCUMENT_PARAGRAPHS" in many.json()["detail"]
    long = requests.post(f"{s.url}/api/documents", headers=AUTH, timeout=30,
                         json={"id": "long", "text": "The ferry sailed on time. " * 50_000})
    assert long.status_code == 413 and "1,300,000 characters of text; the limit is 1,000,000" in long.json()["detail"]
    assert sorted(p.name for p in corpus.iterdir()) == before


def test_four_slow_uploads_at_once_leave_health_answering(server):
    s = server(env={"DOCQA_API_TOKEN": TOKEN, "DOCQA_SEMANTIC": "0", "DOCQA_PARSE_SECONDS": "3"})
    results, latencies, done = [], [], threading.Event()

    def upload(n: int) -> None:
        response = _upload(s.url, f"loop-{n}.pdf", looping_pdf())
        results.append((response.status_code, response.headers.get("Retry-After"), response.json()["detail"]))

    def poll() -> None:
        while not done.is_set():
            started = time.monotonic()
            try:
                requests.get(f"{s.url}/api/health", timeout=5)
            except requests.RequestException:
                pass
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)

    uploads = [threading.Thread(target=upload, args=(n,)) for n in range(4)]
    poller = threading.Thread(target=poll)
    poller.start()
    [t.start() for t in uploads]
    [t.join(60) for t in uploads]
    done.set()
    poller.join()
    assert len(latencies) > 20 and max(latencies) < 1.0, max(latencies)
    assert sorted(r[0] for r in results) == [422, 422, 503, 503]
    assert all("took longer than 3 s" in r[2] for r in results if r[0] == 422)
    assert all(r[1] == "5" and "DOCQA_PARSE_WORKERS" in r[2] for r in results if r[0] == 503)


def test_a_write_never_parses_other_pending_uploads_again(server, index_dir):
    s = server(env={"DOCQA_API_TOKEN": TOKEN, "DOCQA_SEMANTIC": "0"})
    slow = long_pdf(25)  # a second or two to parse
    with build_lock(index_dir):  # no rebuild folds the upload in: it stays pending in the overlay
        started = time.monotonic()
        assert _upload(s.url, "pilots.pdf", slow).status_code == 201
        parse_seconds = time.monotonic() - started
        started = time.monotonic()
        small = requests.post(f"{s.url}/api/documents", headers=AUTH, json={"id": "note", "text": "Short note."},
                              timeout=60)
        took = time.monotonic() - started
        assert small.status_code == 201
        assert took < min(1.0, parse_seconds / 2), (took, parse_seconds)
        assert requests.get(f"{s.url}/api/search", params={"q": "harbour pilots dredger"},
                            timeout=5).json()["passages"][0]["document"] == "pilots"


def _cpu_seconds(pid: int) -> float:
    import os

    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_embedding_stops_when_its_generation_is_no_longer_served(server):
    s = server(env={"DOCQA_API_TOKEN": TOKEN})
    text = "\n\n".join(f"Entry {n}: the harbour master noted vessel {n * 7} at berth {n % 40}." for n in range(4000))
    assert requests.post(f"{s.url}/api/documents", headers=AUTH, json={"id": "ledger", "text": text},
                         timeout=60).status_code == 201
    _wait(lambda: requests.get(f"{s.url}/api/health", timeout=5).json()["semantic"].get("total", 0) > 4000
          and requests.get(f"{s.url}/api/health", timeout=5).json()["semantic"]["state"] == "embedding")
    assert requests.delete(f"{s.url}/api/documents/ledger", headers=AUTH, timeout=30).status_code == 200
    _wait(lambda: requests.get(f"{s.url}/api/health", timeout=5).json()["semantic"].get("total") == 45)
    time.sleep(1.0)  # at most a batch of the old generation finishes
    before = _cpu_seconds(s.proc.pid)
    time.sleep(2.0)
    assert _cpu_seconds(s.proc.pid) - before < 0.5  # nobody embeds the ledger any more
    health = requests.get(f"{s.url}/api/health", timeout=5).json()
    assert health["semantic"]["state"] == "ready" and health["paragraphs"] == 45
    assert any("no longer served" in line for line in s.log)
