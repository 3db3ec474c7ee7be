"""Build Xapian shards from docqa's own index, and write single documents into a shard.

`docqa index --engine xapian --shards N --out DIR` first builds (or refreshes) the embedded index, which
analyses only changed documents, then exports it: each document goes to the shard a stable hash of its
id names, in the format of index/shards/format.py. A first build (or one with another shard count,
analysis or BM25 setting) writes every shard afresh, compacts it and swaps it in through a symlink
(`DIR/shard-00 -> shard-00.<stamp>`), so a server never opens half a shard. Later builds replace only
the documents whose sha256 changed, and delete those gone, in place (Xapian commits are atomic).
The server's writes (POST/DELETE /api/documents) reach `write_document` / `delete_document` on one shard
through that shard's write endpoint (service/shard_writer.py).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from index import analysis
from index.documents import Document, Paragraph, split_paragraphs
from index.lexical.bm25 import Bm25Params, average_length, phrase_lengths
from index.errors import CorpusError
from index.files import atomic_write
from index.lexical.search import SearchIndex
from index.semantic import model as semantic
from index.shards.format import (BODY, DOCUMENT, DOCUMENT_KEY, SHARD_FORMAT, SHARDS_FILE, STATS_KEY, TEXT_KEY, TITLE,
                                 VECTOR_SLOT, VECTORS_KEY, VERSION_KEY, impact, pack_vector, phrase, shard_name,
                                 shard_of, term)
from index.store.build import paragraph_search_text
from index.shards.bindings import xapian

COMMIT_EVERY = 20_000  # paragraphs per shard between two commits while building
PARALLEL_FROM = 50_000  # paragraphs from which each shard is exported by a process of its own


@dataclass(frozen=True)
class ShardDocument:
    """A document as a shard stores it: its manifest entry, paragraphs with their terms, title terms."""

    entry: dict
    text: str
    paragraphs: list[tuple[Paragraph, list[str]]]
    title_terms: list[str]
    vectors: tuple[bytes, ...] = ()  # each paragraph's packed vector (format.pack_vector), or none at all

    @property
    def id(self) -> str:
        return self.entry["id"]


@dataclass(frozen=True)
class ShardBuildReport:
    shards: int
    documents: int
    paragraphs: int
    written: int
    deleted: int
    full: bool
    seconds: float


def _entry(doc: Document, file: str, paragraphs: int) -> dict:
    return {"id": doc.id, "title": doc.title, "file": file, "sha256": doc.sha256, "chars": len(doc.text),
            "paragraphs": paragraphs, "pages": list(doc.pages)}


def from_document(doc: Document, file: str) -> ShardDocument:
    """Analyse a document as `index.store` does (heading + text per paragraph; the title on its own)."""
    paragraphs = split_paragraphs(doc)
    return ShardDocument(_entry(doc, file, len(paragraphs)), doc.text,
                         [(p, analysis.analyze(paragraph_search_text(p))) for p in paragraphs],
                         analysis.analyze(doc.title))


def from_index(index: SearchIndex, document_id: str) -> ShardDocument:
    """A document of an embedded index with the terms that index already holds (no analysis)."""
    info, vocab = index.info(document_id), index.vocab_list
    doc = index.document(document_id)
    first = info.first_paragraph
    paragraphs = [(index.paragraph(i), [vocab[t] for t in index.paragraph_terms(i).tolist()])
                  for i in range(first, first + info.paragraphs)]
    title_flat, title_offsets = index.title_terms
    d = int(index.document_of[first]) if info.paragraphs else index.documents.index(info)
    title = [vocab[t] for t in title_flat[title_offsets[d]:title_offsets[d + 1]].tolist()]
    vectors = index.vectors.rows(np.arange(first, first + info.paragraphs)) if index.vectors is not None else None
    return ShardDocument(_entry(doc, info.file, info.paragraphs), doc.text, paragraphs, title,
                         tuple(map(pack_vector, vectors)) if vectors is not None else ())


def build_stats(index: SearchIndex, shards: int) -> dict:
    """What every shard records: format, analysis, BM25 parameters and average field lengths, as the
    embedded engine computes them (index/lexical/bm25.py)."""
    averages = {name: average_length(float(v.sum()), len(v)) for name, v in index.field_lengths().items()}
    return {"format": SHARD_FORMAT, "shards": shards, "analysis": analysis.settings(),
            "bm25": index.manifest["settings"]["bm25"], "averages": averages,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def paragraph_document(document: ShardDocument, at: int, stats: dict):
    """The Xapian document of paragraph `at`: its impact terms and its data."""
    x = xapian()
    paragraph, terms = document.paragraphs[at]
    previous = document.paragraphs[at - 1][1] if at else []
    params, average = Bm25Params(stats["bm25"]["k1"], stats["bm25"]["b"]), stats["averages"]
    out = x.Document()
    out.add_boolean_term(term(DOCUMENT, document.id))
    fields = ((lambda t: term(BODY, t), Counter(terms), len(terms), "body"),
              (lambda pair: phrase(*pair), Counter(zip(terms, terms[1:])), int(phrase_lengths(np.asarray(len(terms)))),
               "phrases"),
              (lambda t: term(TITLE, t), Counter(document.title_terms), len(document.title_terms), "titles"))
    for name, counts, length, field in fields:
        norm = params.length_norm(length, average[field])
        for key, tf in counts.items():
            out.add_term(name(key), impact(tf, norm))
    out.set_data(json.dumps({"d": document.id, "n": paragraph.number, "s": paragraph.start, "e": paragraph.end,
                             "h": paragraph.heading, "x": paragraph.text, "t": terms, "p": previous,
                             "tt": document.title_terms}, ensure_ascii=False))
    if document.vectors:
        out.add_value(VECTOR_SLOT, document.vectors[at])
    return out


def write_document(db, document: ShardDocument, stats: dict) -> str:
    """Replace the document's paragraphs and entry in one shard (the caller commits); the shard's new version."""
    db.delete_document(term(DOCUMENT, document.id))
    for at in range(len(document.paragraphs)):
        db.add_document(paragraph_document(document, at, stats))
    db.set_metadata(DOCUMENT_KEY + document.id, json.dumps(document.entry, ensure_ascii=False))
    db.set_metadata(TEXT_KEY + document.id, document.text)
    if document.vectors:
        db.set_metadata(VECTORS_KEY, semantic.MODEL_NAME)
    return _new_version(db)


def delete_document(db, document_id: str) -> str:
    db.delete_document(term(DOCUMENT, document_id))
    db.set_metadata(DOCUMENT_KEY + document_id, "")
    db.set_metadata(TEXT_KEY + document_id, "")
    return _new_version(db)


def _new_version(db) -> str:
    version = uuid.uuid4().hex
    db.set_metadata(VERSION_KEY, version)
    return version


def _compatible(old: dict | None, new: dict) -> bool:
    return old is not None and all(old.get(k) == new[k] for k in ("format", "shards", "analysis", "bm25"))


def build_shards(index: SearchIndex, out: Path, shards: int,
                 progress: Callable[[int, int], None] | None = None) -> ShardBuildReport:
    """Export `index` into `shards` Xapian databases under `out` (incrementally when they exist)."""
    if not 1 <= shards <= 64:
        raise ValueError("the shard count must be in 1..64")
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    try:
        old = json.loads((out / SHARDS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        old = None
    stats = build_stats(index, shards)
    full = not _compatible(old, stats) or not all((out / shard_name(i)).exists() for i in range(shards))
    if full:
        written, deleted = _build_fresh(index, out, stats, progress), 0
    else:
        stats["averages"] = old["averages"]  # kept until the next full build, as the embedded overlay does
        written, deleted = _update(index, out, stats, progress)
    atomic_write(out / SHARDS_FILE, json.dumps(stats, indent=1).encode("utf-8"))
    return ShardBuildReport(shards, len(index.documents), index.num_paragraphs, written, deleted, full,
                            time.perf_counter() - started)


def _build_fresh(index: SearchIndex, out: Path, stats: dict, progress) -> int:
    """Write every shard afresh and compact it (one process per shard for a large index), then swap them in."""
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    n = stats["shards"]
    if n > 1 and index.num_paragraphs >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
        _export_in_processes(index, out, stats, stamp, progress)
    else:
        done = [0]

        def tick() -> None:
            done[0] += 1
            if progress:
                progress(done[0], len(index.documents))

        for i in range(n):
            _export_shard(index, out, i, stats, stamp, tick)
    for i in range(n):
        final = f"{shard_name(i)}.{stamp}"
        link = out / f".link-{shard_name(i)}.{stamp}"
        link.symlink_to(final)
        previous = (out / shard_name(i)).resolve() if (out / shard_name(i)).is_symlink() else None
        os.replace(link, out / shard_name(i))  # atomic: a server opens the old shard or the new one
        if previous is not None and previous.name != final:
            shutil.rmtree(previous, ignore_errors=True)
    for link in out.glob("shard-[0-9][0-9]"):  # shards of an earlier build with more of them
        if int(link.name[len("shard-"):]) >= n:
            target = link.resolve()
            link.unlink()
            shutil.rmtree(target, ignore_errors=True)
    return len(index.documents)


def _export_shard(index: SearchIndex, out: Path, number: int, stats: dict, stamp: str, tick: Callable[[], None]):
    """Write shard `number` into a temporary database in batches, then compact it into its final folder."""
    x = xapian()
    temporary = out / f".tmp-{shard_name(number)}.{stamp}"
    db = x.WritableDatabase(str(temporary), x.DB_CREATE_OR_OVERWRITE)
    pending = 0
    for info in index.documents:
        if shard_of(info.id, stats["shards"]) != number:
            continue
        write_document(db, from_index(index, info.id), stats)
        pending += info.paragraphs
        if pending >= COMMIT_EVERY:
            db.commit()
            pending = 0
        tick()
    db.set_metadata(STATS_KEY, json.dumps({**stats, "shard": number}))
    db.commit()
    db.close()
    x.Database(str(temporary)).compact(str(out / f"{shard_name(number)}.{stamp}"))
    shutil.rmtree(temporary)


def _export_in_child(directory: str, manifest: dict, out: str, number: int, stats: dict, stamp: str, done,
                     with_vectors: bool) -> None:
    """A child process's shard: it opens the (memory-mapped) index and its vectors itself and counts
    documents in `done`."""
    def tick() -> None:
        with done.get_lock():
            done.value += 1

    index = SearchIndex.open(Path(directory), manifest)
    if with_vectors:
        from index.semantic.vectors import attach

        index.vectors = attach(index)
    _export_shard(index, Path(out), number, stats, stamp, tick)


def _export_in_processes(index: SearchIndex, out: Path, stats: dict, stamp: str, progress) -> None:
    """One spawned process per shard (never forked: the caller may run threads), progress from a shared count."""
    context = multiprocessing.get_context("spawn")
    done = context.Value("q", 0)
    children = [context.Process(target=_export_in_child, name=f"docqa-{shard_name(i)}", daemon=True,
                                args=(str(index.directory), index.manifest, str(out), i, stats, stamp, done,
                                      index.vectors is not None))
                for i in range(stats["shards"])]
    for child in children:
        child.start()
    while any(child.is_alive() for child in children):
        if progress:
            progress(done.value, len(index.documents))
        time.sleep(0.2)
    failed = [child.name for child in children if child.exitcode != 0]
    if failed:
        raise CorpusError(f"exporting {', '.join(failed)} failed (see the error above); nothing was swapped in")
    if progress:
        progress(len(index.documents), len(index.documents))


def _lacks_vectors(db, index: SearchIndex, document_id: str) -> bool:
    """Whether the embedded index has vectors for the document's paragraphs and the shard lacks one."""
    info = index.info(document_id)
    rows = np.arange(info.first_paragraph, info.first_paragraph + info.paragraphs)
    if index.vectors is None or index.vectors.rows(rows) is None:
        return False
    return any(not db.get_document(p.docid).get_value(VECTOR_SLOT) for p in db.postlist(term(DOCUMENT, document_id)))


def _update(index: SearchIndex, out: Path, stats: dict, progress) -> tuple[int, int]:
    """Replace changed documents and delete removed ones, shard by shard."""
    x = xapian()
    n = stats["shards"]
    wanted: dict[int, dict[str, str]] = {i: {} for i in range(n)}  # shard -> document id -> sha256
    for info in index.documents:
        wanted[shard_of(info.id, n)][info.id] = info.sha256
    written = deleted = done = 0
    for i in range(n):
        try:
            db = x.WritableDatabase(str(out / shard_name(i)), x.DB_OPEN)
        except x.DatabaseLockError:
            raise CorpusError(f"{out / shard_name(i)} is being written by another process (its shard's write "
                              "endpoint, taking a docqa server's write?); run this again in a moment") from None
        stored = {key[len(DOCUMENT_KEY):]: json.loads(db.get_metadata(key))["sha256"]
                  for key in (k.decode("utf-8") for k in db.metadata_keys(DOCUMENT_KEY)) if db.get_metadata(key)}
        for document_id in stored.keys() - wanted[i].keys():
            delete_document(db, document_id)
            deleted += 1
        for document_id, sha256 in wanted[i].items():
            if stored.get(document_id) != sha256 or _lacks_vectors(db, index, document_id):
                write_document(db, from_index(index, document_id), stats)
                written += 1
            done += 1
            if progress:
                progress(done, len(index.documents))
        db.commit()
        db.close()
    return written, deleted
