"""Connections to remote Xapian shards (`xapian-tcpsrv`), and what happens when one fails.

Every call goes to all shards at once (one thread each; the bindings release the GIL) and each network
operation has the configured timeout (default 2 s). A shard that refuses, drops or times out is marked
down: with `failure="error"` the request fails with 503 naming it; with `failure="partial"` it is answered
from the other shards and the request is told which were missing. A shard whose stored data cannot be
decoded is handled the same way for the requests that touch that data (503 naming it and saying so;
health shows `data_error` until the shard's version changes), never a 500. Down shards are skipped at once (no
request waits for them again) and a background prober reconnects them every RETRY_SECONDS, so a shard
that comes back serves the next request without a restart. A connection the server dropped while idle
(xapian-tcpsrv closes them after 60 s) is re-opened and the call retried once, transparently.
Connections are pooled per shard: Xapian objects are not shared between threads.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from index.errors import InvalidInputError, ShardUnavailableError
from index.shards.bindings import xapian

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0     # how often the prober tries a down shard
REOPEN_SECONDS = 1.0    # a pooled connection older than this re-reads the shard's latest commit before use


def parse_addresses(text: str) -> list[tuple[str, int]]:
    """'host:port,host:port' -> [(host, port)]; InvalidInputError naming the bad entry."""
    out = []
    for item in (part.strip() for part in text.split(",")):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidInputError(f"shard address {item!r} is not host:port")
        out.append((host, int(port)))
    if not out:
        raise InvalidInputError("no shard addresses given")
    return out


MISSING = object()  # ShardSet.run's result for a call whose shard failed
Database = Any  # a xapian.Database: the bindings are loaded at run time and carry no type information
T = TypeVar("T")


class ShardDown(Exception):
    def __init__(self, shard: "Shard"):
        super().__init__(shard.address)
        self.shard = shard


class Shard:
    """One remote database: a pool of connections and its state (up, or down since when and why)."""

    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout_ms = host, port, max(1, int(timeout * 1000))
        self.address = f"{host}:{port}"
        self.up, self.since = True, time.time()
        self.error: str | None = None  # why it is down
        self.data_error: str | None = None  # what of its data could not be read, until its version changes
        self._pool: list[tuple[Database, float]] = []
        self._lock = threading.Lock()
        self.stale_before = 0.0  # connections opened or re-read before this re-read first (set after a write)

    def state(self) -> dict:
        return {"address": self.address, "state": "up" if self.up else "down", "since": round(self.since, 3),
                **({"error": self.error} if self.error else {}),
                **({"data_error": self.data_error} if self.data_error else {})}

    def problem(self) -> str:
        """Why its part of a request is missing, for the 503 that names it."""
        if self.data_error:
            return f"{self.address} holds data that cannot be read ({self.data_error}; rebuild it: docqa index --engine xapian)"
        return f"{self.address} ({self.error or 'down'}) did not answer"

    def connect(self) -> Database:
        return xapian().remote_open(self.host, self.port, self.timeout_ms, self.timeout_ms)

    def _take(self) -> tuple[Database, float, bool]:
        """(a connection, when it last read the shard's commit, whether it came from the pool)."""
        with self._lock:
            if self._pool:
                return *self._pool.pop(), True
        return self.connect(), time.monotonic(), False

    def call(self, fn: Callable[[Database], T]) -> T:
        """fn(database); ShardDown when the shard fails (after one retry on a fresh connection if a
        pooled one had been dropped)."""
        x = xapian()
        for attempt in (0, 1):
            pooled = False
            try:
                db, read_at, pooled = self._take() if attempt == 0 else (self.connect(), time.monotonic(), False)
                if time.monotonic() - read_at > REOPEN_SECONDS or read_at < self.stale_before:
                    db.reopen()
                    read_at = time.monotonic()
                result = fn(db)
            except (x.NetworkError, x.DatabaseError) as exc:
                # A pooled connection the server closed while idle fails at once (broken pipe), or with the
                # server's own timeout ("REMOTE:..."): open a new one. Our timeout means the shard hung.
                idle = not isinstance(exc, x.NetworkTimeoutError) or str(exc).startswith("REMOTE:")
                if attempt == 0 and isinstance(exc, x.DatabaseModifiedError):
                    continue  # a write committed under the read: a new connection reads the new revision
                if pooled and isinstance(exc, x.NetworkError) and idle:
                    with self._lock:
                        self._pool.clear()  # its pool-mates idled as long
                    continue
                self.mark_down(exc)
                raise ShardDown(self) from None
            except ValueError as exc:  # undecodable text, broken JSON: the shard answers, its data is bad
                if self.data_error is None:
                    log.error("shard %s holds data that cannot be read: %s", self.address, exc)
                self.data_error = f"{type(exc).__name__}: {str(exc)[:200]}"
                with self._lock:
                    self._pool.append((db, read_at))  # the connection is fine
                raise ShardDown(self) from None
            with self._lock:
                self._pool.append((db, read_at))
            return result
        raise AssertionError("unreachable: the retry on a fresh connection returns or raises")

    def mark_down(self, exc: Exception) -> None:
        with self._lock:
            self._pool.clear()
            if self.up:
                log.warning("shard %s is down: %s", self.address, exc)
                self.up, self.since = False, time.time()
            self.error = str(exc)

    def probe(self) -> None:
        """Try to reconnect a down shard; it serves again on success."""
        try:
            db = self.connect()
            db.get_doccount()
        except Exception as exc:  # noqa: BLE001 - any failure keeps it down, with the reason
            self.error = str(exc)
            return
        with self._lock:
            self._pool.append((db, time.monotonic()))
            self.up, self.error, self.since = True, None, time.time()
        log.info("shard %s is back", self.address)


class ShardSet:
    """The shards of one index, queried together."""

    def __init__(self, addresses: list[tuple[str, int]], timeout: float = 2.0, failure: str = "error"):
        if failure not in ("error", "partial"):
            raise InvalidInputError(f"shard failure mode must be error or partial, got {failure!r}")
        self.shards = [Shard(host, port, timeout) for host, port in addresses]
        self.failure = failure
        self._executor = ThreadPoolExecutor(max_workers=8 * len(self.shards), thread_name_prefix="docqa-shard")
        self._local = threading.local()
        self._stop = threading.Event()
        self._prober = threading.Thread(target=self._probe_loop, name="docqa-shard-prober", daemon=True)
        self._prober.start()

    def close(self) -> None:
        self._stop.set()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _probe_loop(self) -> None:
        while not self._stop.wait(RETRY_SECONDS):
            for shard in self.shards:
                if not shard.up:
                    shard.probe()

    def begin_request(self) -> None:
        """Start recording, for this thread, which shards a request's answers lack."""
        self._local.missing = set()

    def missing(self) -> list[str]:
        return sorted(getattr(self._local, "missing", ()))

    def each(self, fn: Callable[[Database], T], shards: list[Shard] | None = None) -> dict[Shard, T]:
        """fn(database) on every live shard at once: {shard: result}. Missing shards raise
        ShardUnavailableError in "error" mode (or when none answers) and are recorded in "partial" mode."""
        return self.each_of({s: fn for s in (shards if shards is not None else self.shards)})

    def each_of(self, calls: dict[Shard, Callable[[Database], T]]) -> dict[Shard, T]:
        """As `each`, with a function per shard."""
        results = self.run(list(calls.items()))
        return {shard: result for (shard, _), result in zip(calls.items(), results) if result is not MISSING}

    def run(self, calls: list[tuple[Shard, Callable]]) -> list:
        """fn(database) for each (shard, fn), all at once (several per shard use several connections);
        each result in order, MISSING where its shard failed (see `each` for what happens then)."""
        results: list = [MISSING] * len(calls)
        live = [i for i, (shard, _) in enumerate(calls) if shard.up]
        if len(live) == 1:  # no thread hand-off for a single call
            shard, fn = calls[live[0]]
            try:
                results[live[0]] = shard.call(fn)
            except ShardDown:
                pass
        elif live:
            futures = {i: self._executor.submit(calls[i][0].call, calls[i][1]) for i in live}
            for i, future in futures.items():
                try:
                    results[i] = future.result()
                except ShardDown:
                    pass
        down = {calls[i][0] for i, r in enumerate(results) if r is MISSING}
        if down:
            if not hasattr(self._local, "missing"):
                self._local.missing = set()
            self._local.missing.update(s.address for s in down)
            if self.failure == "error" or all(r is MISSING for r in results):
                problems = "; ".join(s.problem() for s in sorted(down, key=lambda s: s.address))
                raise ShardUnavailableError(f"shard {problems}; retry shortly",
                                            headers={"Retry-After": str(max(1, round(RETRY_SECONDS)))})
        return results

    def states(self) -> list[dict]:
        return [s.state() for s in self.shards]

    def written(self) -> None:
        """After a write: pooled connections re-read their shard before the next query uses them."""
        now = time.monotonic()
        for shard in self.shards:
            shard.stale_before = now
