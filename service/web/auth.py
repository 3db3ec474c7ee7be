"""The write token: bearer check, with failed attempts logged and throttled per client address."""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections import deque

from flask import current_app, request

from index.errors import ForbiddenError, TooManyRequestsError, UnauthorizedError

from .context import settings

log = logging.getLogger(__name__)
AUTH_FAILURES = "docqa.auth_failures"
MAX_FAILURES = 10        # failed attempts a client may make ...
FAILURE_WINDOW = 60.0    # ... within this many seconds before it is refused with 429


class FailedAttempts:
    """Recent failed attempts per client address (thread-safe; old ones forgotten)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_client: dict[str, deque[float]] = {}

    def retry_after(self, client: str, now: float) -> int:
        """Seconds until `client` may try again; 0 when it may now."""
        with self._lock:
            times = self._recent(client, now)
            return math.ceil(times[0] + FAILURE_WINDOW - now) if len(times) >= MAX_FAILURES else 0

    def add(self, client: str, now: float) -> int:
        with self._lock:
            times = self._recent(client, now)
            times.append(now)
            return len(times)

    def _recent(self, client: str, now: float) -> deque[float]:
        if len(self._by_client) > 10_000:  # bound memory against many addresses
            self._by_client = {c: t for c, t in self._by_client.items() if t and t[-1] > now - FAILURE_WINDOW}
        times = self._by_client.setdefault(client, deque())
        while times and times[0] <= now - FAILURE_WINDOW:
            times.popleft()
        return times


def init_app(app) -> None:
    app.extensions[AUTH_FAILURES] = FailedAttempts()


def require_token() -> None:
    """403 when writes are off; 429 after too many failures; 401 (logged) for a missing or wrong token."""
    expected = settings().api_token
    if not expected:
        raise ForbiddenError("document writes are disabled on this server; set DOCQA_API_TOKEN to enable them")
    failures: FailedAttempts = current_app.extensions[AUTH_FAILURES]
    client, now = request.remote_addr or "unknown", time.monotonic()
    wait = failures.retry_after(client, now)
    if wait:
        raise TooManyRequestsError(f"too many failed attempts from {client}; try again in {wait} s",
                                   headers={"Retry-After": str(wait)})
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        count = failures.add(client, now)
        log.warning("failed authentication from %s for %s %s (%d in the last %d s)", client, request.method,
                    request.path, count, FAILURE_WINDOW)
        raise UnauthorizedError("send the API token as 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": 'Bearer realm="docqa"'})
