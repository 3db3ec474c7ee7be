"""What one request may cost a real `docqa serve` on 127.0.0.1 (issue #35): the memory a large JSON body
takes, and how long a connection may take to send its headers."""

import socket
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.server
TOKEN = "request-limit-token"


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def test_a_body_of_almost_10_mb_costs_a_small_multiple_of_itself(server):
    s = server(env={"DOCQA_API_TOKEN": TOKEN, "DOCQA_SEMANTIC": "0"})
    body = ('{"question": "' + "a" * 9_900_000 + '"}').encode()
    for path, token, status, most_kb in (("/api/ask", None, 413, 30_000),  # refused unread: no token needed
                                         ("/api/documents", TOKEN, 422, 80_000)):  # parsed: the token's holders
        Path(f"/proc/{s.proc.pid}/clear_refs").write_text("5")  # peak RSS (VmHWM) := RSS now
        before = _kb(s.proc.pid, "VmRSS")
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        response = requests.post(s.url + path, data=body, headers=headers, timeout=60)
        growth = _kb(s.proc.pid, "VmHWM") - before
        assert growth < most_kb, (path, growth)
        assert response.status_code == status and response.headers["Content-Type"] == "application/problem+json"


def test_a_client_trickling_header_lines_is_cut_off_at_the_header_deadline(server):
    s = server(env={"DOCQA_HEADER_SECONDS": "2", "DOCQA_SEMANTIC": "0"})
    host, port = s.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    try:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        started, closed = time.monotonic(), False
        for n in range(12):  # a header line every 0.5 s: never idle long enough for the 30 s idle timeout
            time.sleep(0.5)
            try:
                sock.sendall(b"X-Trickle-%d: 1\r\n" % n)
                sock.settimeout(0.01)
                closed = sock.recv(1) == b""
            except socket.timeout:
                continue
            except OSError:  # reset: closed by the server
                closed = True
            if closed:
                break
        assert closed and time.monotonic() - started < 5
    finally:
        sock.close()
    slow = socket.create_connection((host, int(port)), timeout=10)  # slow but within the deadline: served
    try:
        for line in (b"GET /api/health HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n", b"\r\n"):
            slow.sendall(line)
            time.sleep(0.3)
        assert slow.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        slow.close()
    assert requests.get(f"{s.url}/api/health", timeout=5).status_code == 200
