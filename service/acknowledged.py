"""Uploads a server acknowledged, until a main index generation holds them.

An upload answered 201 must never disappear because a later build could not read its file (a parse
that timed out under load, a file damaged by hand since). The server keeps what each upload was parsed
into, by file name, with the size and time of the file it wrote; builds read a file whose stamp still
matches from here instead of parsing it again, and keep this version (as `stale`) when the file no
longer reads. A build in a child process gets the same through a JSON file (`save` / `load`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable

from index.documents import Document
from index.files import atomic_write
from index.store.generations import file_stamp


class Acknowledged:
    """File name -> (the document its upload gave, the stamp of the file written); thread-safe."""

    def __init__(self, documents: dict[str, tuple[Document, tuple[int, int]]] | None = None):
        self._lock = threading.Lock()
        self._documents = dict(documents or {})

    def add(self, document: Document, path: Path) -> None:
        """Remember an upload written to `path` (replacing any earlier upload of the same document)."""
        stamp = file_stamp(path)
        with self._lock:
            self._drop(document.id)
            if stamp is not None:
                self._documents[path.name] = (replace(document, path=str(path)), stamp)

    def forget(self, document_id: str) -> None:
        """The document was deleted."""
        with self._lock:
            self._drop(document_id)

    def settled(self, manifest: dict) -> None:
        """Forget the uploads a main generation now holds (as read, or kept as their last good version)."""
        held = {(d["file"], d["sha256"]) for d in manifest["documents"]}
        with self._lock:
            for name, (document, _) in list(self._documents.items()):
                if (name, document.sha256) in held:
                    del self._documents[name]

    def snapshot(self) -> dict[str, tuple[Document, tuple[int, int]]]:
        with self._lock:
            return dict(self._documents)

    def reader(self, read: Callable[[Path], Document]) -> Callable[[Path], Document]:
        """`read`, except for a file still as its upload wrote it: that upload's document, not parsed again."""
        def read_file(path: Path) -> Document:
            with self._lock:
                known = self._documents.get(path.name)
            if known is not None and file_stamp(path) == known[1]:
                return replace(known[0], path=str(path))
            return read(path)
        return read_file

    def save(self, path: Path) -> None:
        entries = [{"file": name, "stamp": list(stamp), "id": d.id, "title": d.title, "text": d.text,
                    "sha256": d.sha256, "pages": list(d.pages)} for name, (d, stamp) in self.snapshot().items()]
        atomic_write(path, json.dumps(entries, ensure_ascii=False).encode("utf-8", "surrogatepass"))

    @classmethod
    def load(cls, path: Path) -> Acknowledged:
        entries = json.loads(path.read_bytes().decode("utf-8", "surrogatepass"))
        return cls({e["file"]: (Document(e["id"], e["title"], e["file"], e["text"], e["sha256"], tuple(e["pages"])),
                                tuple(e["stamp"])) for e in entries})

    def _drop(self, document_id: str) -> None:
        for name in [n for n, (d, _) in self._documents.items() if d.id == document_id]:
            del self._documents[name]
