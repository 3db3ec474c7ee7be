"""`docqa bench --http`: a real `docqa serve` on 127.0.0.1, measured once it is ready: /api/search
latency and throughput, /api/ask alone and as a follow-up, write visibility, peak RSS."""

from __future__ import annotations

import json
import os
import re
import statistics
import threading
import time
from pathlib import Path

from .bench import _percentile, _rss_mb

BENCH_TOKEN = "docqa-bench-token"


def _write_visibility(port: int) -> dict:
    """Milliseconds from POSTing a document until a search finds it, and from DELETE until it is gone."""
    import http.client

    def call(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {BENCH_TOKEN}", "Content-Type": "application/json"}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        payload = json.loads(response.read() or b"{}")
        conn.close()
        return response.status, payload

    def visible() -> bool:
        _, body = call("GET", "/api/search?k=3&q=zanzibar+quokka+lighthouse")
        return any(p["document"] == "bench-write-probe" for p in body.get("passages", []))

    started = time.perf_counter()
    status, _ = call("POST", "/api/documents", {"id": "bench-write-probe", "text": "A zanzibar quokka lighthouse."})
    while status in (200, 201) and not visible() and time.perf_counter() - started < 30:
        time.sleep(0.01)
    added = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    call("DELETE", "/api/documents/bench-write-probe")
    while visible() and time.perf_counter() - started < 30:
        time.sleep(0.01)
    return {"http_write_visible_ms": round(added, 1), "http_delete_gone_ms": round((time.perf_counter() - started) * 1000, 1)}


def _wait_ready(port: int, started: float, timeout: float = 600) -> float:
    """Seconds from start until /api/health answers 200: a server listens at once and answers 503
    while its first index is built, and nothing is measured before it is ready."""
    import http.client

    while time.perf_counter() - started < timeout:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/health")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} was not ready within {timeout:g} s")


def _ask_latency(port: int, qs: list[str], n: int = 100) -> dict:
    """/api/ask p50 for n questions asked alone, and for each of them asked as a follow-up with the
    turn before it as history (question, answer and the citations shown, as the page sends them)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def ask(body: dict) -> tuple[float, dict]:
        t = time.perf_counter()
        conn.request("POST", "/api/ask", body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"/api/ask answered {response.status}: {payload.get('detail')}")
        return (time.perf_counter() - t) * 1000, payload

    alone, followed = [], []
    for previous, question in zip(qs[:n], qs[1:n + 1]):
        _, before = ask({"question": previous})
        cited = [{"document": p["document"], "paragraph": p["paragraph"]} for p in before.get("passages", [])]
        answer = before.get("answer") or {}
        turn = {"question": previous, "answer": answer.get("text"), "citations": cited}
        alone.append(ask({"question": question})[0])
        followed.append(ask({"question": question, "history": [turn]})[0])
    conn.close()
    return {"http_ask_p50_ms": round(statistics.median(alone), 2), "http_ask_p99_ms": round(_percentile(alone, 99), 2),
            "http_ask_with_history_p50_ms": round(statistics.median(followed), 2)}


def run_http(docqa: str, corpus: Path, index_dir: Path, qs: list[str], clients: int = 8,
             requests_per_client: int = 200, env: dict | None = None) -> dict:
    """A real `docqa serve` on 127.0.0.1: /api/search p50 with one client, then req/s with `clients`,
    /api/ask p50 alone and as a follow-up, write visibility, the server's peak RSS."""
    import http.client
    import subprocess
    from urllib.parse import quote

    proc = subprocess.Popen([docqa, "serve", "--port", "0", "--no-watch"], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir),
                                 "DOCQA_API_TOKEN": BENCH_TOKEN, **(env or {})})
    started = time.perf_counter()
    stderr = proc.stderr
    assert stderr is not None  # stderr=PIPE
    port = None
    for line in stderr:
        m = re.search(r"serving http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:  # its stderr ended: the server exited without listening
        raise RuntimeError(f"docqa serve exited (code {proc.wait(30)}) before it listened")
    start_s = time.perf_counter() - started
    threading.Thread(target=lambda: [None for _ in stderr], daemon=True).start()
    ready_s = _wait_ready(port, started)
    try:
        def session(questions, out, errors):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for q in questions:
                t = time.perf_counter()
                conn.request("GET", "/api/search?k=10&q=" + quote(q))
                response = conn.getresponse()
                response.read()
                out.append((time.perf_counter() - t) * 1000)
                if response.status != 200:
                    errors.append(response.status)
            conn.close()

        single: list[float] = []
        errors: list[int] = []
        session(qs[:300], single, errors)
        many: list[float] = []
        threads = [threading.Thread(target=session, args=((qs * 50)[i * requests_per_client:(i + 1) * requests_per_client],
                                                          many, errors)) for i in range(clients)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        return {"http_start_seconds": round(start_s, 2), "http_ready_seconds": round(ready_s, 2),
                "http_search_p50_ms": round(statistics.median(single), 2),
                "http_search_p99_ms": round(_percentile(single, 99), 2),
                f"http_rps_{clients}_clients": round(len(many) / elapsed, 1), "http_errors": len(errors),
                **_ask_latency(port, qs), **_write_visibility(port),
                "server_rss_mb": _rss_mb(f"/proc/{proc.pid}/status", "VmHWM")}
    finally:
        proc.terminate()
        proc.wait(30)
