"""How many PDF and Word uploads are parsed at once, so that parsing never takes every server thread.

A parse holds the request's thread until its child process answers (up to DOCQA_PARSE_SECONDS): four
slow uploads once held all four threads and /api/health waited a minute. Now at most `workers`
uploads parse at once, one more may wait a moment for a slot, and the rest are refused at once with
503 and Retry-After: a thread is always left for health, questions and searches.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from index.errors import ServiceUnavailableError

WAIT_SECONDS = 2.0   # how long an upload waits for a parse slot before it is refused
RETRY_SECONDS = 5    # what the refusal's Retry-After says


class ParseSlots:
    def __init__(self, workers: int, threads: int, wait: float = WAIT_SECONDS):
        self.workers, self.wait = workers, wait
        self._parsing = threading.BoundedSemaphore(workers)
        self._admitted = threading.BoundedSemaphore(max(workers, threads - 1))  # parsing + waiting

    @contextmanager
    def slot(self):
        """Hold a parse slot while the block runs; ServiceUnavailableError (503) when none is free soon."""
        if not self._admitted.acquire(blocking=False):
            raise self._busy()
        try:
            if not self._parsing.acquire(timeout=self.wait):
                raise self._busy()
            try:
                yield
            finally:
                self._parsing.release()
        finally:
            self._admitted.release()

    def _busy(self) -> ServiceUnavailableError:
        return ServiceUnavailableError(f"the server is parsing {self.workers} PDF or Word uploads already; send this one "
                                       f"again in {RETRY_SECONDS} s (DOCQA_PARSE_WORKERS)",
                                       headers={"Retry-After": str(RETRY_SECONDS)})
