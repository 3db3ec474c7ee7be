"""Running shard servers, one per shard: `xapian-tcpsrv` read-only for searches (eval, bench), or
`docqa shard serve` (read-only xapian-tcpsrv plus its authenticated write endpoint) for a server that writes.

Each server runs in a session of its own: xapian-tcpsrv forks a child per connection, and stopping or
killing the whole group is what "this shard's host is down" means.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from index.errors import CorpusError
from index.shards.format import shard_name
from index.shards.bindings import INSTALL_HINT, XapianMissingError, xapian

TCPSRV = "xapian-tcpsrv"


def tcpsrv_command(folder: Path, port: int, host: str = "127.0.0.1", idle_timeout_ms: int | None = None) -> list[str]:
    """The command that serves one shard folder for searches, read-only: xapian-tcpsrv has no
    authentication, so it never runs --writable (writes go through service/shard_writer.py)."""
    binary = shutil.which(TCPSRV)
    if binary is None:
        raise XapianMissingError(f"{TCPSRV} is not installed; {INSTALL_HINT}")
    if not folder.exists():
        raise CorpusError(f"no shard at {folder}; build one with docqa index --engine xapian --shards N --out DIR")
    extra = ["--idle-timeout", str(idle_timeout_ms)] if idle_timeout_ms else []
    return [binary, "--quiet", "--interface", host, "--port", str(port), *extra, str(folder)]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ShardServer:
    """One running xapian-tcpsrv (and its per-connection children); with `write_token`, `docqa shard
    serve`: the same read-only xapian-tcpsrv and the shard's write endpoint (at `write_address`), which with
    `embed` embeds paragraphs without a vector in the background."""

    def __init__(self, folder: Path, port: int | None = None, host: str = "127.0.0.1", idle_timeout_ms=None,
                 write_token: str | None = None, embed: bool = False):
        self.folder, self.host, self.port = folder, host, port or free_port(host)
        self.idle_timeout_ms = idle_timeout_ms
        self.write_token, self.embed = write_token, embed
        self.write_port = free_port(host) if write_token else None
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def write_address(self) -> str:
        return f"{self.host}:{self.write_port}"

    def _command(self) -> tuple[list[str], dict | None]:
        if not self.write_token:
            return tcpsrv_command(self.folder, self.port, self.host, self.idle_timeout_ms), None
        extra = ["--idle-timeout-ms", str(self.idle_timeout_ms)] if self.idle_timeout_ms else []
        extra.append("--embed" if self.embed else "--no-embed")
        return ([sys.executable, "-m", "service", "shard", "serve", str(self.folder), "--port", str(self.port),
                 "--host", self.host, "--write-port", str(self.write_port), *extra],
                {**os.environ, "DOCQA_SHARD_TOKEN": self.write_token})

    def start(self, wait: float = 20.0) -> "ShardServer":
        return self.launch().wait_ready(wait)

    def launch(self) -> "ShardServer":
        """Start the process without waiting for it (several shards start at once; then `wait_ready`)."""
        command, env = self._command()
        self._errors = tempfile.TemporaryFile()  # not a pipe: a server that logs would block once it is full
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=self._errors,
                                        start_new_session=True)
        return self

    def wait_ready(self, wait: float = 20.0) -> "ShardServer":
        process = self.process
        assert process is not None, "launch() first"
        deadline = time.monotonic() + wait
        while True:
            try:
                xapian().remote_open(self.host, self.port, 1000, 1000).get_doccount()
                if self.write_port:
                    socket.create_connection((self.host, self.write_port), timeout=1).close()
                return self
            except Exception:  # noqa: BLE001 - not listening yet
                if process.poll() is not None or time.monotonic() > deadline:
                    self._errors.seek(0)
                    error = "timed out" if process.poll() is None else \
                        self._errors.read().decode(errors="replace").strip()
                    self.stop()
                    raise CorpusError(f"{TCPSRV} for {self.folder} did not start: {error[-300:]}") from None
                time.sleep(0.05)

    def signal(self, number: int) -> None:
        """Send a signal to the server and every connection it serves."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, number)

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None


@contextmanager
def local_shards(out: Path, shards: int, write_token: str | None = None):
    """Serve the `shards` shards of a build folder on 127.0.0.1 (free ports) while the block runs: read-only,
    or with `write_token` through `docqa shard serve` with its write endpoint."""
    servers = []
    try:
        for i in range(shards):
            servers.append(ShardServer(out / shard_name(i), write_token=write_token).launch())
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


@contextmanager
def served_shards(index, folder: Path, shards: int):
    """`index` exported into `shards` shards under `folder` (with its vectors when it has them), served on
    127.0.0.1 while the block runs."""
    from index.shards.build import build_shards
    from index.shards.client import ShardSet
    from index.shards.sharded import ShardedIndex

    build_shards(index, folder / "shards", shards)
    with local_shards(folder / "shards", shards) as servers:
        shard_set = ShardSet([(s.host, s.port) for s in servers])
        try:
            yield ShardedIndex(shard_set, semantic=index.vectors is not None)
        finally:
            shard_set.close()
