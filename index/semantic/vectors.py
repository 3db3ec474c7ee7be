"""Paragraph vectors on disk: computed after a generation is live, reused for unchanged documents.

    <index_dir>/vectors-<generation>.npy   float32, one unit-length row per embedded paragraph
    <index_dir>/vectors-<generation>.json  the model, each document's (id, sha256, paragraphs, first row),
                                           the .npy's size and sha256; written last

A build never waits for vectors: `embed_generation` runs afterwards (in `docqa index`, or in a server's
background thread) and writes both files atomically. Any generation reads the newest vector file and
maps each of its documents whose id, sha256 and paragraph count match; paragraphs of other documents
have no vector yet and rank lexically. Older vector files are removed once a newer one is written.
"""

from __future__ import annotations

import io
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from index.semantic import model as semantic
from index.errors import ConflictError
from index.files import atomic_write, sha256_of
from index.lexical.search import SearchIndex, load_array

log = logging.getLogger(__name__)

PREFIX = "vectors-"


@dataclass(frozen=True)
class Vectors:
    """The vectors a generation can use: `row_of[paragraph]` is its row in `matrix`, or -1."""

    matrix: np.ndarray
    row_of: np.ndarray
    source: Path

    @property
    def done(self) -> int:
        return int(np.count_nonzero(self.row_of >= 0))

    def rows(self, paragraphs: np.ndarray) -> np.ndarray | None:
        """The paragraphs' unit vectors; None if any of them has no vector yet."""
        rows = self.row_of[paragraphs]
        if (rows < 0).any():
            return None
        return self.matrix[rows]


def _document_keys(index: SearchIndex) -> list[tuple[str, str, int]]:
    return [(d.id, d.sha256, d.paragraphs) for d in index.documents]


def _newest(index_dir: Path) -> tuple[Path, dict] | None:
    """The newest readable vector file's .npy path and description, or None."""
    for described in sorted(index_dir.glob(f"{PREFIX}*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True):
        try:
            meta = json.loads(described.read_text(encoding="utf-8"))
            matrix = described.with_suffix(".npy")
            if meta.get("model") == semantic.MODEL_NAME and matrix.stat().st_size == meta["bytes"]:
                return matrix, meta
            log.info("ignoring %s: another model or a changed file", described.name)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.info("ignoring %s: %s", described.name, exc)
    return None


def attach(index: SearchIndex, verify: bool = False) -> Vectors | None:
    """The vectors `index` can use from the newest vector file in its index folder (None if there is none)."""
    found = _newest(index.directory.parent)
    if found is None:
        return None
    path, meta = found
    if verify and sha256_of(path) != meta["sha256"]:
        log.warning("ignoring %s: it does not match its checksum", path.name)
        return None
    matrix = load_array(path)
    if matrix.ndim != 2 or matrix.shape != (meta["rows"], semantic.DIMENSIONS):
        return None
    at = {(doc_id, sha, n): first for doc_id, sha, n, first in meta["documents"]}
    row_of = np.full(index.num_paragraphs, -1, dtype=np.int64)
    for info in index.documents:
        first = at.get((info.id, info.sha256, info.paragraphs))
        if first is not None:
            row_of[info.first_paragraph:info.first_paragraph + info.paragraphs] = np.arange(first, first + info.paragraphs)
    return Vectors(matrix, row_of, path)


def embed_generation(index: SearchIndex, embedder: semantic.Embedder,
                     progress: Callable[[int, int], None] | None = None) -> Vectors:
    """Write the vector file of `index`'s generation: rows of unchanged documents copied from the newest
    vector file, the others embedded; `progress(done, total)` counts the paragraphs to embed."""
    previous = attach(index, verify=True)  # never copy rows out of a damaged file
    reused = previous.row_of >= 0 if previous is not None else np.zeros(index.num_paragraphs, dtype=bool)
    matrix = np.zeros((index.num_paragraphs, semantic.DIMENSIONS), dtype=np.float32)
    if previous is not None:
        matrix[reused] = previous.matrix[previous.row_of[reused]]
    todo = np.flatnonzero(~reused)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(todo))

    for at in range(0, len(todo), 20 * semantic.BATCH):  # in slices, so progress moves and memory stays small
        part = todo[at:at + 20 * semantic.BATCH].tolist()
        texts = []
        for i in part:
            p = index.paragraph(i)
            texts.append(semantic.passage_text(index.documents[int(index.document_of[i])].title, p.heading, p.text))
        matrix[part] = embedder.embed(texts, progress=advance)
    if progress and not len(todo):
        progress(0, 0)
    return write_vectors(index, matrix, embedded=len(todo))


def write_vectors(index: SearchIndex, matrix: np.ndarray, embedded: int) -> Vectors:
    """Write `matrix` (a row per paragraph of `index`) as its generation's vector file, atomically, .npy
    then the description; remove older vector files; return the vectors attached."""
    name = PREFIX + index.directory.name
    target = index.directory.parent / f"{name}.npy"
    atomic_write(target, _npy_bytes(matrix.astype(np.float32, copy=False)))
    meta = {"model": semantic.MODEL_NAME, "rows": len(matrix), "bytes": target.stat().st_size,
            "sha256": sha256_of(target), "embedded": embedded, "reused": len(matrix) - embedded,
            "documents": [[*key, d.first_paragraph] for key, d in zip(_document_keys(index), index.documents)]}
    atomic_write(target.with_suffix(".json"), json.dumps(meta).encode("utf-8"))
    for old in index.directory.parent.glob(f"{PREFIX}*"):
        if not old.name.startswith(name + "."):
            old.unlink(missing_ok=True)  # readers mapping the old file keep a valid mapping
    log.info("paragraph vectors: %d embedded, %d reused", embedded, len(matrix) - embedded)
    vectors = attach(index)
    if vectors is None:  # another process removed every vector file since (its own write's clean-up)
        raise ConflictError(f"{target.name} was removed as it was written; embed again")
    return vectors


def ensure_vectors(index: SearchIndex, progress: Callable[[int, int], None] | None = None,
                   threads: int | None = None) -> Vectors:
    """Attach `index`'s vectors (their checksum verified), embedding first what is missing (with every
    core unless `threads`)."""
    index.vectors = attach(index, verify=True)
    if index.vectors is None or index.vectors.done < index.num_paragraphs:
        index.vectors = embed_generation(index, semantic.Embedder(threads or os.cpu_count() or 1), progress)
    return index.vectors


def embed_if_installed(index: SearchIndex, progress: Callable[[int, int], None] | None = None) -> Vectors | None:
    """`ensure_vectors` when the semantic model is installed; None (lexical ranking) when it is not."""
    return ensure_vectors(index, progress) if semantic.available() else None


def _npy_bytes(matrix: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, matrix, allow_pickle=False)
    return buffer.getvalue()
