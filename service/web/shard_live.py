"""The index a server answers from when its engine is Xapian shards (DOCQA_ENGINE=xapian, DOCQA_SHARDS).

The shards are the index: nothing is built here. A write through the API saves the file into the corpus
folder (the source of truth, as with the embedded engine), then sends the analysed document to the
shard its id hashes to, through that shard's write endpoint (`docqa shard serve`, with the shard token;
its xapian-tcpsrv is read-only), which commits; the next query re-reads the shard, so the new text is
searchable when the client hears back. The document list is re-read when a
shard's version changes (a write by this server, another one, or `docqa index --engine xapian`).
Files changed in the corpus folder by other means reach the shards through `docqa index --engine xapian`.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from pathlib import Path

from index.documents.formats import ParsedFiles
from index.documents import Document
from index.errors import ShardUnavailableError
from index.semantic import model as semantic
from index.shards.build import from_document
from index.shards.client import ShardSet, parse_addresses
from index.shards.wire import to_json
from index.shards.sharded import ShardedIndex

from ..settings import Settings
from ..shard_writer import WRITE_PORT_OFFSET
from .live import start_poller

log = logging.getLogger(__name__)
WRITE_SECONDS = 30  # a write of a large document may take this long on its shard


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.load(error)["detail"])[:300]
    except (OSError, ValueError, KeyError, TypeError):
        return error.reason


class ShardSemantic:
    """What /api/health says of the semantic signal on shards: each shard's vectors (embedded on its own
    host by `docqa shard embed` or its write endpoint; nothing runs here)."""

    def __init__(self, enabled: bool, installed: bool, index: ShardedIndex):
        self.enabled, self.installed, self.index = enabled, installed, index

    def state(self) -> dict:
        if not self.enabled:
            return {"enabled": False, "reason": "turned off (DOCQA_SEMANTIC=0)" if self.installed else
                    "the semantic model is not installed"}
        shards = self.index.vector_states()
        done, total = sum(s.get("vectors", 0) for s in shards), sum(s.get("paragraphs", 0) for s in shards)
        state = "ready" if all(s["state"] == "complete" for s in shards) else "partial" if done else "lexical"
        return {"enabled": True, "model": semantic.MODEL_NAME, "state": state, "done": done, "total": total}

    def stop(self) -> None:
        """Nothing runs."""


class ShardLiveIndex:
    """A LiveSource (service/web/live_source.py) over shards."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.limits = settings.document_limits()
        self.parsed = ParsedFiles(max_chars=4 * settings.max_document_chars)  # a file sent again is not parsed again
        assert settings.shards is not None  # load_settings requires them with engine xapian
        addresses = parse_addresses(settings.shards)
        self.shard_set = ShardSet(addresses, settings.shard_timeout, settings.shard_failure)
        # where each shard takes writes (`docqa shard serve`): DOCQA_SHARD_WRITERS, or each shard's port + 1000
        self.writers = [f"{h}:{p}" for h, p in parse_addresses(settings.shard_writers)] if settings.shard_writers \
            else [f"{h}:{p + WRITE_PORT_OFFSET}" for h, p in addresses]
        self._token = settings.shard_token or settings.api_token
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # shards directly, never via a proxy
        installed = semantic.available()
        self.current = ShardedIndex(self.shard_set, semantic=settings.semantic and installed)
        self.write_lock = threading.Lock()
        self.building: str | None = None
        self.semantic = ShardSemantic(settings.semantic and installed, installed, self.current)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def document_written(self, document_id: str, document: Document | None = None) -> None:
        """Call holding `write_lock` after the document's file was written (`document`: what it was parsed
        into, at `document.path`) or deleted: its shard gets it now, through the shard's write endpoint."""
        number = self.current.shard_for(document_id)
        writer = self.writers[number]
        entry = from_document(document, Path(document.path).name) if document is not None else None
        if entry is not None:
            request = urllib.request.Request(f"http://{writer}/documents", method="POST",
                                             data=json.dumps(to_json(entry), ensure_ascii=False).encode("utf-8"))
        else:
            request = urllib.request.Request(f"http://{writer}/documents/{document_id}", method="DELETE")
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=max(self.settings.shard_timeout, WRITE_SECONDS)) as response:
                version = json.load(response)["version"]
        except urllib.error.HTTPError as exc:
            raise self._not_written(number, f"{exc.code}: {_detail(exc)}") from None
        except (OSError, ValueError, KeyError) as exc:
            raise self._not_written(number, str(exc)) from None
        self.shard_set.written()
        self.current.written(number, version, entry.entry if entry is not None else None, document_id)

    def _not_written(self, number: int, why: str) -> ShardUnavailableError:
        return ShardUnavailableError(
            f"shard {self.shard_set.shards[number].address} did not take the write (its write endpoint "
            f"{self.writers[number]}: {why}); the file is saved in the corpus folder: send it again when the "
            "shard is back", headers={"Retry-After": "1"})

    def shard_states(self) -> list[dict] | None:
        """Each shard's state, with its vectors' (how many of its paragraphs have one) when semantic is on."""
        states = self.shard_set.states()
        if self.semantic.enabled:
            for state, vectors in zip(states, self.current.vector_states()):
                state["vectors"] = {k: v for k, v in vectors.items() if k != "address"}
        return states

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
