"""`docqa serve`: the app under waitress, with connection limits and timeouts chosen on purpose.

waitress reads a whole request body before the app sees it and keeps at most `connection_limit`
connections open (idle ones included); a client that opens many sockets, or trickles bytes, can take
the slots. So the limit is raised well above what threads can serve, idle and stalled connections
are closed after CHANNEL_TIMEOUT seconds, and a body whose Content-Length is over the configured
limit is refused by waitress before it is read (a little slack is left for multipart framing, so a
body just over the limit still reaches the app and gets its problem+json 413). waitress's timeout
counts inactivity only, so a client sending a header line every few seconds kept its connection for
ever: a request must also have sent all its headers within DOCQA_HEADER_SECONDS of its first byte.
"""

from __future__ import annotations

import faulthandler
import logging
import resource
import signal
import time

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from .web import create_app

CONNECTION_LIMIT = 1000   # open connections (waitress's default, 100, was taken by 100 idle sockets)
CHANNEL_TIMEOUT = 30      # seconds before an idle or stalled connection is closed (waitress: 120)
CLEANUP_INTERVAL = 5      # how often waitress looks for such connections (waitress: 30)
BODY_SLACK = 64 * 1024    # bytes over DOCQA_MAX_BODY_BYTES waitress still reads, for the app's own 413
log = logging.getLogger(__name__)


def serve(host: str, port: int, overrides: dict) -> None:
    """Listen at once (answering from the last good index, or 503, while one builds); stop on SIGTERM."""
    faulthandler.enable()  # a crash in native code (SIGSEGV, SIGBUS) leaves its Python stack in the log
    connection_limit = min(CONNECTION_LIMIT, _raise_file_limit(CONNECTION_LIMIT + 100) - 100)
    app = create_app({**overrides, "serve_at_once": True})
    s = app.extensions["docqa.settings"]
    live = app.extensions["docqa.index"]
    server = create_server(app, host=host, port=port, threads=s.threads, ident="docqa",
                           connection_limit=connection_limit, channel_timeout=CHANNEL_TIMEOUT,
                           cleanup_interval=CLEANUP_INTERVAL, max_request_body_size=s.max_body_bytes + BODY_SLACK)
    channel = header_deadline_channel(s.header_seconds)
    for listener in [d for d in getattr(server, "map", {}).values() if isinstance(d, BaseWSGIServer)] or [server]:
        listener.channel_class = channel  # each listening socket (a name may resolve to several addresses)
    url = f"http://{host}:{server.effective_port}"

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    index = live.current
    shown = f"{len(index.documents)} documents, {index.num_paragraphs} paragraphs" if index else "index building"
    log.info("docqa serving %s: %s (engine %s, %d threads, up to %d connections)", url, shown, s.engine, s.threads,
             connection_limit)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        live.stop()
        server.close()
        log.info("docqa stopped")


def header_deadline_channel(seconds: float) -> type[HTTPChannel]:
    """waitress's connection, closed when a request's headers are not all in `seconds` after its first
    byte (checked whenever the server loop polls its connections: at least once a second)."""

    class HeaderDeadlineChannel(HTTPChannel):
        request_began = 0.0

        def received(self, data):
            if self.request is None and data:
                self.request_began = time.monotonic()
            return super().received(data)

        def readable(self):
            request = self.request
            if (request is not None and not request.headers_finished and not self.will_close
                    and time.monotonic() - self.request_began > seconds):
                log.info("closing a connection from %s: its request's headers took over %g s", self.addr[0], seconds)
                self.will_close = True
            return super().readable()

    return HeaderDeadlineChannel


def _raise_file_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted` (within the hard limit); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft if soft != resource.RLIM_INFINITY else wanted
