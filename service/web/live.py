"""The index a running server answers from, kept current while documents change.

Readers take `LiveIndex.current` once per request: an immutable `LayeredIndex` of the main index
(on disk, memory-mapped), an overlay index of documents written since the main one was built, and
the ids those writes replaced or deleted. A write builds a new overlay (milliseconds: it holds only
the written documents) and swaps the reference, so new text is searchable at once and nobody ever
sees a half-built index; a background rebuild then folds the writes into a new main index, and the
overlay shrinks to what was written meanwhile. Files changed by other means are found by polling.

A server that starts with `serve_at_once` answers from the last good generation (plus an overlay of
the files changed since) while a new one builds; with no usable generation it answers 503 until
the first build lands (`current` is None meanwhile).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

from index import Bm25Params, BuildReport, Document, SearchIndex, build_index, load_index, open_index
from index.documents.formats import ParsedFiles
from index.documents import corpus_files, document_id_for, read_document
from index.errors import CorpusError, IndexCorruptError
from index.lexical.layered import LayeredIndex
from index.store.layout import OVERLAY_PREFIX
from index.store.generations import changed_documents, damage, is_current

from ..acknowledged import Acknowledged
from ..settings import Settings
from .embedding import SemanticPass

log = logging.getLogger(__name__)


def corpus_files_for(corpus: Path, document_id: str) -> list[Path]:
    """The corpus files that hold `document_id` (normally one)."""
    return [p for p in corpus_files(corpus) if document_id_for(p.name) == document_id]


class LiveIndex:
    """Holds the current LayeredIndex and keeps it in step with the corpus folder."""

    def __init__(self, settings: Settings, serve_at_once: bool = False):
        self.settings = settings
        self.params = Bm25Params(settings.k1, settings.b)
        self.limits = settings.document_limits()
        # what PDF and Word files gave when parsed: the overlay and the rebuilds read it instead of parsing again
        self.parsed = ParsedFiles(max_chars=4 * settings.max_document_chars)
        self.acknowledged = Acknowledged()  # uploads answered 201, until a main generation holds them
        self.read = self.acknowledged.reader(lambda path: read_document(path, self.limits, self.parsed))
        self.write_lock = threading.Lock()     # one document write at a time
        self._rebuild_lock = threading.Lock()  # one main-index rebuild at a time
        self._pending: dict[str, int] = {}     # document id -> write number, since the main index was built
        self._writes = 0
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._overlay_dir = settings.index_dir / f"{OVERLAY_PREFIX}{os.getpid()}"
        self._overlay_index: Path | None = None
        self.current: LayeredIndex | None = None
        self.building: str | None = None       # why a build is running, while one is
        self.semantic = SemanticPass(settings.semantic)
        _sweep_overlays(settings.index_dir)
        if serve_at_once:
            self._start_from_last_generation()
        else:
            main, _ = self._open_main()
            self._serve(LayeredIndex(main))

    def _start_from_last_generation(self) -> None:
        """Serve the last good generation now, with the files changed since in an overlay when they are
        small enough to index in this process, and build the new generation in the background."""
        s = self.settings
        try:
            main = load_index(s.index_dir)
            fresh, reason = is_current(main, s.corpus, s.engine, self.params)
        except IndexCorruptError as exc:
            main, fresh, reason = None, False, exc.detail
        if fresh and main is not None:
            self._serve(LayeredIndex(main))
            return
        self.building = reason
        if main is not None:
            changed, size = changed_documents(main, s.corpus)
            with self.write_lock:
                if size < s.child_build_bytes:
                    for doc_id in changed:
                        self._writes += 1
                        self._pending[doc_id] = self._writes
                self._install_overlay(main)
            log.info("serving the last index generation while a new one builds (%s)", reason)
        else:
            log.info("no usable index yet (%s); answering 503 until the first build ends", reason)
        threading.Thread(target=self._rebuild_in_background, name="docqa-first-build", daemon=True).start()

    def _open_main(self):
        s = self.settings
        return open_index(s.corpus, s.index_dir, s.engine, self.params, builder=self._build)

    def _build(self, corpus: Path, index_dir: Path, engine: str, params: Bm25Params, progress=None,
               reason: str = "") -> BuildReport | None:
        """Build in this process for a small corpus; in a child process for a large one, so the
        server's memory stays that of serving (a build of 1M paragraphs peaks at several GB). The
        child exits if this process dies, and waits for the index's build lock like any build."""
        size = _corpus_bytes(corpus)
        if size < self.settings.child_build_bytes:
            return build_index(corpus, index_dir, engine, params, progress=progress, reason=reason, limits=self.limits,
                               reader=self.read, last_good=self.acknowledged.snapshot())
        log.info("building the index in a child process (%d MB of documents)", size >> 20)
        limits = self.limits  # the same limits as this server's uploads
        env = {**os.environ, "DOCQA_K1": repr(params.k1), "DOCQA_B": repr(params.b),
               "DOCQA_MAX_DOCUMENT_CHARS": str(limits.max_chars),
               "DOCQA_MAX_DOCUMENT_PARAGRAPHS": str(limits.max_paragraphs),
               "DOCQA_PARSE_SECONDS": repr(limits.parse_seconds)}
        self._overlay_dir.mkdir(parents=True, exist_ok=True)
        acknowledged = self._overlay_dir / "acknowledged.json"
        self.acknowledged.save(acknowledged)
        done = subprocess.run([sys.executable, "-m", "service", "index", "--corpus", str(corpus), "--index-dir",
                               str(index_dir), "--engine", engine, "--parent-pid", str(os.getpid()),
                               "--acknowledged", str(acknowledged)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise CorpusError(f"building the index failed: {done.stderr.strip()[-300:]}")
        return None

    def _served(self) -> LayeredIndex:
        """The index served now, once there is one (writes wait for it, a refresh that swapped one in set it)."""
        assert self.current is not None, "no index is served yet"
        return self.current

    # -- writes -------------------------------------------------------------------------------

    def document_written(self, document_id: str, document: Document | None = None) -> None:
        """Call, holding `write_lock`, after a document file was written (`document`: what it was parsed
        into, at `document.path`) or deleted: visible now, rebuilt later, never dropped by a rebuild.

        Rebuild threads queue on the rebuild lock; one that finds the index already current returns at
        once, so a burst of writes costs at most two rebuilds."""
        if document is not None:
            self.acknowledged.add(document, Path(document.path))
        else:
            self.acknowledged.forget(document_id)
        self._writes += 1
        self._pending[document_id] = self._writes
        self._install_overlay(self._served().main)
        threading.Thread(target=self._rebuild_in_background, name="docqa-rebuild", daemon=True).start()

    def _install_overlay(self, main: SearchIndex) -> None:
        pending = dict(self._pending)
        if not pending:
            self._serve(LayeredIndex(main))
            self._forget_overlay()
            return
        folder = self._overlay_dir / f"corpus-{self._writes}"
        folder.mkdir(parents=True)
        present = set()
        for doc_id in pending:
            for path in corpus_files_for(self.settings.corpus, doc_id):  # none when it was deleted
                try:
                    shutil.copy2(path, folder / path.name)
                    present.add(doc_id)
                except FileNotFoundError:  # deleted by other means since it was listed
                    pass
        index_dir = self._overlay_dir / f"index-{self._writes}"
        build_index(folder, index_dir, self.settings.engine, self.params, reason="documents written",
                    vocabulary=main.vocab_list, limits=self.limits, reader=self.read,
                    last_good=self.acknowledged.snapshot())
        overlay = load_index(index_dir, verify=False)
        # a file that is there but could not be read now stays served from the main index (its last good version)
        hidden = frozenset(pending) - (present - {d.id for d in overlay.documents})
        self._serve(LayeredIndex(main, overlay if overlay.num_paragraphs else None, hidden))
        shutil.rmtree(folder, ignore_errors=True)  # the overlay index keeps its own copy of the text
        self._forget_overlay()
        self._overlay_index = index_dir

    def _serve(self, layered: LayeredIndex) -> None:
        """Answer from `layered` from now on; a new main generation gets its paragraph vectors."""
        if self.current is None or self.current.main is not layered.main:
            self.semantic.follow(layered.main)
        self.current = layered

    def _forget_overlay(self) -> None:
        """Remove the previous overlay's files (readers still mapping them keep valid mappings)."""
        if self._overlay_index is not None:
            shutil.rmtree(self._overlay_index, ignore_errors=True)
            self._overlay_index = None

    def _rebuild_in_background(self) -> None:
        try:
            self.refresh()
        except Exception:
            log.exception("building the index failed; still serving what was served before (the next poll retries)")

    # -- files changed by other means ---------------------------------------------------------

    def refresh(self) -> bool:
        """Rebuild the main index if the corpus changed on disk; returns whether one was swapped in.

        Writes that arrive while it builds stay in the overlay (the build may not have seen them)."""
        with self._rebuild_lock:
            started_at = self._writes
            main = self.current.main if self.current is not None else None
            broken = damage(main) if main is not None else None
            if broken:
                log.error("index file damaged under the running server (%s); rebuilding", broken)
            elif main is not None:
                fresh, _ = is_current(main, self.settings.corpus, self.settings.engine, self.params)
                if fresh and not self._pending:
                    return False
            main, _ = self._open_main()
            with self.write_lock:
                self._pending = {d: n for d, n in self._pending.items() if n > started_at}
                self.parsed.discard({d.sha256 for d in main.documents if d.id not in self._pending})  # reused from main now
                self.acknowledged.settled(main.manifest)
                self._install_overlay(main)
            self.building = None
            return True

    def watch(self) -> None:
        """Poll the corpus folder every `poll_seconds` in a daemon thread (0 disables)."""
        if self._watcher is None:
            self._watcher = start_poller(
                "docqa-corpus-watch", self.settings.poll_seconds, self._stop, self.refresh,
                lambda: f"corpus changed; now serving {self._served().num_paragraphs} paragraphs",
                "refreshing the index failed; still serving the previous one")

    def shard_states(self) -> list[dict] | None:
        return None

    def stop(self) -> None:
        self._stop.set()
        self.semantic.stop()
        shutil.rmtree(self._overlay_dir, ignore_errors=True)


def start_poller(name: str, seconds: float, stop: threading.Event, refresh: Callable[[], bool],
                 changed: Callable[[], str], failed: str) -> threading.Thread | None:
    """Call `refresh` every `seconds` (0: never) in a daemon thread until `stop` is set; log `changed()` when
    it returns True, and `failed` with the traceback when it raises (the server keeps serving)."""
    if seconds <= 0:
        return None

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                if refresh():
                    log.info("%s", changed())
            except Exception:
                log.exception("%s", failed)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def _corpus_bytes(corpus: Path) -> int:
    total = 0
    for path in corpus_files(corpus):
        try:
            total += path.stat().st_size
        except FileNotFoundError:  # deleted since the folder was listed
            pass
    return total


def _sweep_overlays(index_dir: Path) -> None:
    """Remove overlay folders left by servers that are no longer running (killed, say)."""
    if not index_dir.is_dir():
        return
    for folder in index_dir.glob(f"{OVERLAY_PREFIX}*"):
        pid = folder.name[len(OVERLAY_PREFIX):]
        if pid.isdigit() and (int(pid) == os.getpid() or not _running(int(pid))):
            log.info("removing %s, left by a server that stopped", folder.name)
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
