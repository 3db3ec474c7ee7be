"""The server's semantic pass: attach paragraph vectors to each main generation it serves, and embed
what is missing in a background thread, so a build never waits for the (slow) model.

ONNX Runtime and the tokenizer run outside the GIL, so the thread does not stall requests; it uses all
cores but one. Queries whose candidates all have vectors are re-ranked with the semantic features as
soon as those vectors exist; the others rank lexically until the pass ends.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref

from index import SearchIndex, semantic
from index.semantic.vectors import attach, embed_generation

log = logging.getLogger(__name__)
PROGRESS_LOG_SECONDS = 10
_running: "weakref.WeakSet[SemanticPass]" = weakref.WeakSet()


class Stopped(Exception):
    """Raised between two batches when the pass is stopped."""


class Superseded(Exception):
    """Raised between two batches when the generation being embedded is no longer the one served."""


def _stop_all() -> None:
    """At exit, stop every pass between two batches and wait for it: a thread killed inside ONNX
    Runtime would abort the process (exit 134) instead of letting it exit normally."""
    for embedding in list(_running):
        embedding.stop()


class SemanticPass:
    def __init__(self, enabled: bool):
        self.installed = semantic.available()
        self.enabled = enabled and self.installed
        self.done = self.total = 0
        self.failed: str | None = None
        self._wanted: SearchIndex | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._embedder: semantic.Embedder | None = None
        self._stop = threading.Event()
        if not _running:
            atexit.register(_stop_all)  # once per process, at the first pass (never at import)
        _running.add(self)

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def follow(self, main: SearchIndex) -> None:
        """Call with each main generation the server starts serving."""
        if not self.enabled:
            return
        main.vectors = attach(main, verify=True)  # checksummed as the generation's own files are
        with self._lock:
            self._wanted, self.failed = main, None  # a new generation: a new attempt
            self.total, self.done = main.num_paragraphs, main.vectors.done if main.vectors else 0
            if self.done < self.total and not self._stop.is_set() and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="docqa-embedding", daemon=True)
                self._thread.start()

    def state(self) -> dict:
        """What /api/health says of it."""
        if not self.enabled:
            return {"enabled": False, "reason": "turned off (DOCQA_SEMANTIC=0)" if self.installed else
                    "the semantic model is not installed"}
        state = "failed" if self.failed else "ready" if self.done >= self.total else "embedding"
        return {"enabled": True, "model": semantic.MODEL_NAME, "state": state, "done": self.done, "total": self.total,
                **({"error": self.failed} if self.failed else {})}

    def _run(self) -> None:
        while True:
            with self._lock:
                main = self._wanted
                if main is None or (main.vectors is not None and main.vectors.done >= main.num_paragraphs):
                    self._thread = None
                    return
            try:
                if self._embedder is None:
                    self._embedder = semantic.Embedder(threads=max(1, (os.cpu_count() or 1) - 1))
                vectors = embed_generation(main, self._embedder, self._progress(main))
            except Superseded:  # a delete or a rebuild replaced it: embed what is served instead
                log.info("embedding of %s stopped: the generation is no longer served", main.directory.name)
                continue
            except Stopped:
                with self._lock:
                    self._thread = None
                return
            except Exception as exc:  # keep serving lexically; say why
                log.exception("embedding paragraphs failed; ranking stays lexical")
                self.failed = str(exc)
                with self._lock:
                    self._thread = None
                return
            main.vectors = vectors
            with self._lock:
                if self._wanted is main:
                    self.done = vectors.done

    def _progress(self, main: SearchIndex):
        base = main.vectors.done if main.vectors else 0
        last = [time.monotonic()]

        def report(done: int, total: int) -> None:
            if self._stop.is_set():
                raise Stopped
            if self._wanted is not main:
                raise Superseded
            if self._wanted is main:  # "ready" only once the file is written and attached (in _run)
                self.done = min(base + done, self.total - 1)
            if time.monotonic() - last[0] >= PROGRESS_LOG_SECONDS or done == total:
                last[0] = time.monotonic()
                log.info("embedding paragraphs: %d of %d", done, total)
        return report
