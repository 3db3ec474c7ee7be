"""The index a running server answers from, swapped atomically when the corpus changes."""

from __future__ import annotations

import logging
import threading

from index import Bm25Params, SearchIndex, open_index
from index.store import is_current

from .settings import Settings

log = logging.getLogger(__name__)


class LiveIndex:
    """Holds the current SearchIndex; readers take `.current` once per request and keep it."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.params = Bm25Params(settings.k1, settings.b)
        self._refresh_lock = threading.Lock()
        self.write_lock = threading.Lock()  # one document write (file + refresh) at a time
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.current: SearchIndex
        self.current, self.report = open_index(settings.corpus, settings.index_dir, settings.engine, self.params)

    def refresh(self) -> bool:
        """Rebuild from the corpus if it changed; returns whether a new index was swapped in."""
        with self._refresh_lock:
            fresh, _ = is_current(self.current, self.settings.corpus, self.settings.engine, self.params)
            if fresh:
                return False
            index, report = open_index(self.settings.corpus, self.settings.index_dir, self.settings.engine, self.params)
            self.current = index  # one reference assignment: readers see the old or the new index, never half
            self.report = report or self.report
            return True

    def watch(self) -> None:
        """Poll the corpus folder every `poll_seconds` in a daemon thread (0 disables)."""
        if self.settings.poll_seconds <= 0 or self._watcher is not None:
            return

        def loop() -> None:
            while not self._stop.wait(self.settings.poll_seconds):
                try:
                    if self.refresh():
                        log.info("corpus changed; now serving %d paragraphs", self.current.num_paragraphs)
                except Exception:  # keep serving the previous index; say why
                    log.exception("refreshing the index failed; still serving the previous one")

        self._watcher = threading.Thread(target=loop, name="docqa-corpus-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()
