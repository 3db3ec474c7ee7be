"""What the web layer asks of the index a server answers from, whatever keeps it current: `LiveIndex`
(the embedded engine, rebuilt from the corpus folder) or `ShardLiveIndex` (Xapian shards)."""

from __future__ import annotations

import threading
from typing import Protocol

from index.documents import Document
from index.searchable import Searchable

from ..settings import Settings


class SemanticState(Protocol):
    def state(self) -> dict:
        """What /api/health says of the semantic signal."""

    def stop(self) -> None: ...


class LiveSource(Protocol):
    settings: Settings
    building: str | None             # why a build is running, while one is
    write_lock: threading.Lock       # one document write at a time

    @property  # read-only here: each implementation keeps its own kind of index and semantic pass
    def current(self) -> Searchable | None:
        """None while a server without a usable index builds its first one."""

    @property
    def semantic(self) -> SemanticState: ...

    def document_written(self, document_id: str, document: Document | None = None) -> None:
        """Call holding `write_lock` after the document's file was written (or deleted): searchable now."""

    def refresh(self) -> bool:
        """Catch up with changes made by other means; whether anything changed."""

    def watch(self) -> None:
        """Poll for such changes in the background."""

    def stop(self) -> None: ...

    def shard_states(self) -> list[dict] | None:
        """Each shard's state for /api/health; None on the embedded engine."""
