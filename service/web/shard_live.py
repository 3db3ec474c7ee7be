"""The index a server answers from when its engine is Xapian shards (DOCQA_ENGINE=xapian, DOCQA_SHARDS).

The shards are the index: nothing is built here. A write through the API saves the file into the corpus
folder (the source of truth, as with the embedded engine), then replaces the document in the shard its
id hashes to, through that shard's writable xapian-tcpsrv, and commits; the next query re-reads the
shard, so the new text is searchable when the client hears back. The document list is re-read when a
shard's version changes (a write by this server, another one, or `docqa index --engine xapian`).
Files changed in the corpus folder by other means reach the shards through `docqa index --engine xapian`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from index.binary_formats import ParsedFiles
from index.documents import Document
from index.errors import ShardUnavailableError
from index.shard_build import delete_document, from_document, write_document
from index.shard_client import ShardSet, parse_addresses
from index.sharded import ShardedIndex
from index.xapian_bindings import xapian

from ..settings import Settings
from .live import start_poller

log = logging.getLogger(__name__)


class ShardSemantic:
    """What /api/health says of the semantic signal on this engine: not available."""

    def state(self) -> dict:
        return {"enabled": False, "reason": "not available on the xapian engine (paragraph vectors live in the "
                                            "embedded index)"}

    def stop(self) -> None:
        """Nothing runs."""


class ShardLiveIndex:
    """LiveIndex's interface (current, write_lock, document_written, refresh, watch, stop) over shards."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.limits = settings.document_limits()
        self.parsed = ParsedFiles(max_chars=4 * settings.max_document_chars)  # a file sent again is not parsed again
        self.shard_set = ShardSet(parse_addresses(settings.shards), settings.shard_timeout, settings.shard_failure)
        self.current = ShardedIndex(self.shard_set)
        self.write_lock = threading.Lock()
        self.building: str | None = None
        self.semantic = ShardSemantic()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def document_written(self, document_id: str, document: Document | None = None) -> None:
        """Call holding `write_lock` after the document's file was written (`document`: what it was parsed
        into, at `document.path`) or deleted: its shard gets it now."""
        number = self.current.shard_for(document_id)
        shard = self.shard_set.shards[number]
        x = xapian()
        entry = from_document(document, Path(document.path).name) if document is not None else None
        try:
            db = shard.writable()
            try:
                if entry is not None:
                    version = write_document(db, entry, self.current.stats)
                else:
                    version = delete_document(db, document_id)
                db.commit()
            finally:
                db.close()
        except (x.NetworkError, x.DatabaseError) as exc:
            raise ShardUnavailableError(
                f"shard {shard.address} did not take the write ({exc}); the file is saved in the corpus folder: "
                "send it again when the shard is back (its xapian-tcpsrv must run with --writable)",
                headers={"Retry-After": "1"}) from None
        self.shard_set.written()
        self.current.written(number, version, entry.entry if entry is not None else None, document_id)

    def refresh(self) -> bool:
        return self.current.refresh()

    def watch(self) -> None:
        """Re-read changed shards' document lists every `poll_seconds` in a daemon thread (0 disables)."""
        if self._watcher is None:
            self._watcher = start_poller(
                "docqa-shard-watch", self.settings.poll_seconds, self._stop, self.refresh,
                lambda: f"shards changed; now serving {self.current.num_paragraphs} paragraphs",
                "re-reading the shards' document lists failed")

    def stop(self) -> None:
        self._stop.set()
        self.shard_set.close()
