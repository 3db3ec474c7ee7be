"""`docqa shard serve`: a read-only xapian-tcpsrv for searches, and beside it the only way to write the
shard, a small HTTP endpoint that takes a bearer token.

xapian-tcpsrv has no authentication: run `--writable`, anyone who could reach its port could rewrite
paragraphs and answers. So it runs without, and a docqa server's writes (POST/DELETE /api/documents)
come here instead: `POST /documents` with a ShardDocument as JSON (index/shards/wire.py) replaces that
document, `DELETE /documents/<id>` removes it, each committed with a local WritableDatabase (the
read-only server's readers see the commit). The token is compared with hmac.compare_digest before
the body is looked at; bodies are bounded; a document whose id belongs to another shard is refused.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import signal
import subprocess
import threading
from pathlib import Path

from waitress import create_server

from index.documents import DOCUMENT_ID
from index.errors import (ConflictError, DocqaError, DocumentNotFoundError, InvalidInputError, PayloadTooLargeError,
                          ServiceUnavailableError, UnauthorizedError)
from index.shards.build import ShardDocument, delete_document, write_document
from index.shards.format import STATS_KEY, shard_of
from index.shards.wire import from_json
from index.shards.bindings import xapian

log = logging.getLogger(__name__)
WRITE_PORT_OFFSET = 1000  # the write endpoint's port when not given: the shard's port + this
_DOCUMENT_PATH = "/documents/"


class ShardWriter:
    """The write endpoint's WSGI app for one shard folder."""

    def __init__(self, folder: Path, token: str, max_body: int, embedder: ShardEmbedder | None = None):
        self.folder, self.max_body, self.embedder = folder, max_body, embedder
        self._token = token.encode()
        self._lock = threading.Lock()  # one write at a time (Xapian takes one writer)
        if embedder is not None:
            embedder.lock = self._lock

    def __call__(self, environ, start_response):
        try:
            status, body = 200, self._handle(environ)
        except DocqaError as exc:
            status, body = exc.status, {"type": "about:blank", "title": exc.title, "status": exc.status,
                                        "detail": exc.detail}
        data = json.dumps(body).encode()
        kind = "application/json" if status == 200 else "application/problem+json"
        headers = [("Content-Type", kind), ("Content-Length", str(len(data)))]
        if status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="docqa-shard"'))
        start_response(f"{status} {'OK' if status == 200 else body['title']}", headers)
        return [data]

    def _handle(self, environ) -> dict:
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self._token):
            log.warning("refused a shard write from %s: missing or wrong token", environ.get("REMOTE_ADDR"))
            raise UnauthorizedError("send the shard token as 'Authorization: Bearer <token>'")
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method == "POST" and path == "/documents":
            return self._write(from_json(self._json(environ)))
        if method == "DELETE" and path.startswith(_DOCUMENT_PATH):
            document_id = path[len(_DOCUMENT_PATH):]
            if not DOCUMENT_ID.fullmatch(document_id):
                raise InvalidInputError("not a document id")
            return self._write(None, document_id)
        raise DocumentNotFoundError("POST /documents or DELETE /documents/<id>")

    def _json(self, environ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.max_body:
            raise PayloadTooLargeError(f"the body is {length:,} bytes; at most {self.max_body:,}")
        try:
            return json.loads(environ["wsgi.input"].read(length))
        except (ValueError, RecursionError):
            raise InvalidInputError("the body is not a JSON document") from None

    def _write(self, document: ShardDocument | None, document_id: str | None = None) -> dict:
        x = xapian()
        document_id = document.id if document is not None else document_id
        assert document_id is not None, "a write sends its document, a delete the document's id"
        with self._lock:
            try:
                db = x.WritableDatabase(str(self.folder), x.DB_OPEN)
            except x.DatabaseLockError:
                raise ServiceUnavailableError("the shard is being written by docqa index; try again shortly",
                                              headers={"Retry-After": "1"}) from None
            try:
                stats = json.loads(db.get_metadata(STATS_KEY))
                if shard_of(document_id, stats["shards"]) != stats["shard"]:
                    raise ConflictError(f"document {document_id!r} belongs to shard {shard_of(document_id, stats['shards'])}"
                                        f", this is shard {stats['shard']}: list the shards in order")
                version = write_document(db, document, stats) if document is not None else delete_document(db, document_id)
                db.commit()
            finally:
                db.close()
        log.info("shard write: %s %s", "replaced" if document is not None else "deleted", document_id)
        if document is not None and self.embedder is not None:
            self.embedder.wake()  # the new paragraphs get their vectors in the background
        return {"id": document_id, "version": version}


class ShardEmbedder:
    """Embeds the shard's paragraphs that have no vector, in a daemon thread, whenever woken (at start
    and after each write); the searches rank lexically where a candidate has none yet."""

    def __init__(self, folder: Path, threads: int = 1):
        self.folder, self.threads = folder, threads
        self.lock: threading.Lock = threading.Lock()  # the writer's, once it has one
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="docqa-shard-embed", daemon=True)

    def start(self) -> ShardEmbedder:
        self._thread.start()
        self.wake()
        return self

    def wake(self) -> None:
        self._wanted.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wanted.set()

    def _run(self) -> None:
        from index.semantic.model import Embedder
        from index.shards.embed import embed_shard

        embedder = None
        while self._wanted.wait() and not self._stopped.is_set():
            self._wanted.clear()
            try:
                embedder = embedder or Embedder(self.threads)
                done = embed_shard(self.folder, embedder, stop=self._stopped.is_set, lock=self.lock)
            except Exception:  # noqa: BLE001 - logged; the shard serves lexically and the next write tries again
                log.exception("embedding the shard's new paragraphs failed")
                continue
            if done:
                log.info("embedded %d paragraphs", done)


def serve(folder: Path, tcpsrv: list[str], host: str, port: int, token: str, max_body: int, embed: bool) -> None:
    """Run the read-only `tcpsrv` command and the write endpoint on host:port until stopped; if either
    ends, both do. With `embed`, paragraphs without a vector are embedded in the background."""
    embedder = ShardEmbedder(folder.resolve()).start() if embed else None
    server = create_server(ShardWriter(folder.resolve(), token, max_body, embedder), host=host, port=port, threads=2,
                           ident="docqa-shard", connection_limit=64, channel_timeout=30,
                           max_request_body_size=max_body)
    reader = subprocess.Popen(tcpsrv, preexec_fn=_die_with_parent)

    def stop(signum, frame):
        raise KeyboardInterrupt

    def watch() -> None:
        reader.wait()
        log.error("xapian-tcpsrv exited (%s); stopping", reader.returncode)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=watch, name="docqa-tcpsrv-watch", daemon=True).start()
    log.info("shard writes on http://%s:%s (bearer token)", host, server.effective_port)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if embedder is not None:
            embedder.stop()
        reader.terminate()
        reader.wait()
        server.close()


def _die_with_parent() -> None:
    """In the xapian-tcpsrv child: end with `docqa shard serve` even if that is killed outright (Linux)."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
