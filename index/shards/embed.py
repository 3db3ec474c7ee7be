"""Embedding a shard where it lives: `docqa shard embed FOLDER`, and the pass a shard's write endpoint
runs after each write, so N hosts embed N times faster and written documents get their vectors.

Every paragraph without a vector (its VECTOR_SLOT empty) is embedded, BATCH at a time, and each batch is
written with one commit: a process killed at any point leaves whole vectors or none, and the next run
carries on with what is still missing. A paragraph replaced or deleted in the meantime (its stored data
changed) is skipped; the next pass embeds the new one.
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from index.errors import ConflictError, InvalidInputError
from index.semantic import model as semantic
from index.shards.bindings import xapian
from index.shards.format import DOCUMENT_KEY, VECTOR_SLOT, VECTORS_DONE_KEY, VECTORS_KEY, pack_vector

BATCH = 256          # paragraphs embedded and committed together
LOCK_WAIT = 30.0     # seconds a batch waits for the shard's write lock (held by a write or an export)


@dataclass(frozen=True)
class VectorState:
    """How many of a shard's paragraphs have a vector of this model."""

    vectors: int
    paragraphs: int
    model: str | None

    @property
    def usable(self) -> bool:
        """Whether it holds vectors a question's embedding can be compared with."""
        return self.model == semantic.MODEL_NAME and self.vectors > 0

    @property
    def state(self) -> str:
        if self.vectors >= self.paragraphs and (self.usable or not self.paragraphs):
            return "complete"  # an empty shard has nothing to embed
        return "partial" if self.usable else "missing"

    def as_json(self) -> dict:
        return {"state": self.state, "vectors": self.vectors, "paragraphs": self.paragraphs}


def vector_state(db) -> VectorState:
    """The state of an open shard database (local or remote)."""
    model = db.get_metadata(VECTORS_KEY).decode("utf-8") or None
    return VectorState(db.get_value_freq(VECTOR_SLOT), db.get_doccount(), model)


def missing(db) -> list[int]:
    """The document ids (paragraphs) that have no vector yet, in order."""
    have = {item.docid for item in db.valuestream(VECTOR_SLOT)}
    return [item.docid for item in db.postlist("") if item.docid not in have]


def embed_shard(folder: Path, embedder: semantic.Embedder, progress: Callable[[int, int], None] | None = None,
                stop: Callable[[], bool] = lambda: False, lock: AbstractContextManager = nullcontext(),
                batch_size: int = BATCH) -> int:
    """Embed every paragraph of the shard at `folder` that has no vector (every one, when the vectors it
    holds are another model's); the number embedded.
    `progress(done, total)` after each batch; `stop()` is asked between batches; `lock` is held while a
    batch is written (a write endpoint's own lock, so its writes never meet a locked shard)."""
    x = xapian()
    try:
        reader = x.Database(str(folder))
    except x.DatabaseOpeningError as exc:
        raise InvalidInputError(f"{folder} is not a shard docqa can open ({exc}); give a folder made by "
                                "docqa index --engine xapian, such as OUT/shard-00") from None
    held = reader.get_metadata(VECTORS_KEY).decode("utf-8")
    todo = missing(reader) if held in ("", semantic.MODEL_NAME) else [item.docid for item in reader.postlist("")]
    titles: dict[str, str] = {}
    done = 0
    for at in range(0, len(todo), batch_size):
        if stop():
            break
        reader.reopen()
        batch = []
        for docid in todo[at:at + batch_size]:
            try:
                data = reader.get_document(docid).get_data()
            except x.DocNotFoundError:
                continue  # deleted since the list was made
            paragraph = json.loads(data)
            title = titles.get(paragraph["d"])
            if title is None:
                entry = reader.get_metadata(DOCUMENT_KEY + paragraph["d"])
                title = titles[paragraph["d"]] = json.loads(entry)["title"] if entry else ""
            batch.append((docid, data, semantic.passage_text(title, paragraph["h"], paragraph["x"])))
        if batch:
            vectors = embedder.embed([text for _, _, text in batch])
            with lock:
                done += _write(folder, [(docid, data, pack_vector(v)) for (docid, data, _), v in zip(batch, vectors)])
        if progress:
            progress(min(at + batch_size, len(todo)), len(todo))
    return done


def _write(folder: Path, vectors: list[tuple[int, bytes, bytes]]) -> int:
    """Set each (docid, the data it was embedded from, packed vector) whose paragraph is unchanged; one commit."""
    x = xapian()
    db = _writable(folder)
    written = 0
    try:
        for docid, data, packed in vectors:
            try:
                document = db.get_document(docid)
            except x.DocNotFoundError:
                continue
            if document.get_data() != data:
                continue  # replaced since it was read: the next pass embeds the new text
            document.add_value(VECTOR_SLOT, packed)
            db.replace_document(docid, document)
            written += 1
        db.set_metadata(VECTORS_KEY, semantic.MODEL_NAME)
        db.set_metadata(VECTORS_DONE_KEY, uuid.uuid4().hex)
        db.commit()
    finally:
        db.close()
    return written


def _writable(folder: Path):
    """The shard opened for writing, waiting up to LOCK_WAIT for a write or an export to finish."""
    x = xapian()
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return x.WritableDatabase(str(folder), x.DB_OPEN)
        except x.DatabaseLockError:
            if time.monotonic() > deadline:
                raise ConflictError(f"{folder} stayed locked by another writer for {LOCK_WAIT:.0f} s; "
                                    "run docqa shard embed again when it is done") from None
            time.sleep(0.2)
