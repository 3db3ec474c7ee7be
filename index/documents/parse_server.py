"""A fork server for parsing untrusted files: each file is parsed in a child forked from one small
process that has loaded the parsers, never from the process that asks.

Forking the asking process (a server that has grown for days: threads, arenas, mapped indexes) made
the child's memory limit count all of that, so a file parsed when the server was young was refused
later. The fork server is a fresh interpreter started on first use (`python -P`, the package folder
put first on its path, so neither the current folder nor the caller's state changes what it loads);
each child's address-space limit is its own size at the fork plus what parsing may allocate, so the
same file gets the same answer in any process, at any age. Each child has a CPU-time and a wall-clock
limit of its own; the asker stops waiting at the deadline. Requests and answers are JSON plus raw
bytes over a socket pair per file (no pickle); the fork server exits when the asking process is gone.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

_LENGTH = struct.Struct("!Q")
START_SECONDS = 60  # for the fork server to start (a fresh interpreter loading the parsers) and the child to read
_lock = threading.Lock()
_server: tuple[int, subprocess.Popen, socket.socket] | None = None  # (owner pid, process, control socket)


class ChildGone(Exception):
    """The child ended without an answer (killed by a limit, or worse)."""


class TimedOut(Exception):
    """No answer within the deadline."""


def ask(header: dict, data: bytes, seconds: float) -> tuple[dict, bytes]:
    """Send (header, data) to a fresh child, which runs `index.documents.formats.parse_request` on them;
    its (header, bytes) answer. TimedOut when it takes more than `seconds` from the moment it has the
    request (the fork server's start is not counted), ChildGone if it died first."""
    ours = _connect()
    try:
        head = json.dumps(header).encode("utf-8")
        ours.settimeout(START_SECONDS)
        ours.sendall(_LENGTH.pack(len(head)) + head + _LENGTH.pack(len(data)))
        ours.sendall(data)
        _exactly(ours, 1, time.monotonic() + START_SECONDS)  # the child has it: its time starts now
        deadline = time.monotonic() + seconds
        answer_head = _receive(ours, deadline)
        return json.loads(answer_head), _receive(ours, deadline)
    except socket.timeout:
        raise TimedOut from None
    except (BrokenPipeError, ConnectionResetError):
        raise ChildGone from None
    finally:
        ours.close()


def _connect() -> socket.socket:
    """A socket to a new child of the fork server (started, or restarted, as needed)."""
    global _server
    ours, theirs = socket.socketpair()
    try:
        with _lock:
            for attempt in (0, 1):
                if _server is None or _server[0] != os.getpid() or _server[1].poll() is not None:
                    _server = _start()
                try:
                    socket.send_fds(_server[2], [b"f"], [theirs.fileno()])
                    return ours
                except OSError:
                    if attempt:
                        raise
                    _server = None
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    raise AssertionError("unreachable")


def _start() -> tuple[int, subprocess.Popen, socket.socket]:
    control, remote = socket.socketpair()
    package_root = str(Path(__file__).resolve().parents[2])
    code = (f"import sys; sys.path.insert(0, {package_root!r}); "
            f"from index.documents.parse_server import serve; serve({remote.fileno()})")
    process = subprocess.Popen([sys.executable, "-P", "-c", code], pass_fds=[remote.fileno()], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, cwd="/")
    remote.close()
    return os.getpid(), process, control


def serve(control_fd: int) -> None:
    """The fork server's loop: a child per socket received; exit when the asking process closes its end."""
    from index.documents import formats  # noqa: F401 - loaded once here, so that every child starts with it

    import docx  # noqa: F401
    import pdfminer.high_level  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1, 1)
        except InterruptedError:
            continue
        if not message:
            return
        for fd in fds:
            if os.fork() == 0:
                control.close()
                _child(fd)
            os.close(fd)


def _child(fd: int) -> None:
    """Run one request under its limits, answer, and leave (never back into the server's loop)."""
    from index.documents.formats import parse_request

    try:
        conn = socket.socket(fileno=fd)
        deadline = time.monotonic() + 30
        header = json.loads(_receive(conn, deadline))
        data = _receive(conn, deadline)
        seconds = float(header["seconds"])
        ceiling = _address_space() + int(header["memory_bytes"])  # what parsing may allocate beyond this
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        cpu = math.ceil(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # a parser stuck in a loop is stopped
        signal.alarm(cpu + 1)  # and one that waits: the asker gave up by then
        conn.sendall(b"+")
        answer_head, answer = parse_request(header, data)
        head = json.dumps(answer_head).encode("utf-8")
        conn.sendall(_LENGTH.pack(len(head)) + head + _LENGTH.pack(len(answer)))
        conn.sendall(answer)
    finally:
        os._exit(0)


def _receive(conn: socket.socket, deadline: float) -> bytes:
    """One length-prefixed message; TimedOut at `deadline`, ChildGone at end of stream."""
    (length,) = _LENGTH.unpack(_exactly(conn, _LENGTH.size, deadline))
    return _exactly(conn, length, deadline)


def _exactly(conn: socket.socket, n: int, deadline: float) -> bytes:
    parts, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimedOut
        conn.settimeout(left)
        try:
            chunk = conn.recv(min(n - got, 1 << 20))
        except socket.timeout:
            raise TimedOut from None
        if not chunk:
            raise ChildGone
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _address_space() -> int:
    """This process's address space now (VmSize), in bytes; 0 when /proc does not say."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0
