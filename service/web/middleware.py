"""Per-request plumbing: request ids, timing, security headers, relative redirects and the access log."""

from __future__ import annotations

import logging
import re
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, g, request

access_log = logging.getLogger("service.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def took_ms() -> float:
    return round((time.perf_counter() - g.started) * 1000, 2)


def init_app(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        supplied = request.headers.get("X-Request-Id", "")
        g.request_id = supplied if _REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex

    @app.after_request
    def finish(response):
        response.headers["X-Request-Id"] = g.get("request_id") or uuid.uuid4().hex
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if "Location" in response.headers:
            response.headers["Location"] = relative_location(response.headers["Location"])
        if g.get("started") is not None:
            access_log.info("%s %s %d %.1f ms %s", request.method, request.path, response.status_code,
                            took_ms(), response.headers["X-Request-Id"])
        return response


def relative_location(location: str) -> str:
    """A redirect target without scheme and host (werkzeug builds them from the Host header, which a
    client chooses), and never protocol-relative ('//host/...')."""
    parts = urlsplit(location)
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment))
