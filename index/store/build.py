"""Building the index on disk: analyse (incrementally), write a generation atomically, swap it in.

The directory's files are named in `index.store.layout`; reading them back is index/store/generations.py.
A build writes a new generation under a temporary name, renames it into place, then points CURRENT
at it; a crash at any point leaves the previous generation live. No pickle: JSON and .npy only.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, NamedTuple

import numpy as np

from index import analysis
from index.documents.formats import BINARY_SUFFIXES
from index.documents import Document, Paragraph, corpus_files, read_document, split_paragraphs
from index.lexical.engines import DEFAULT_ENGINE, ENGINES
from index.lexical.bm25 import Bm25Params
from index.errors import (CorpusError, DocumentTooLargeError, IndexCorruptError, InvalidInputError, UnreadableDocumentError,
                     UnsupportedMediaTypeError)
from index.lexical.fields import build_phrases, title_field
from index.files import atomic_write, fsync_tree, sha256_of
from index.store.layout import (BASE_FILES, CURRENT, FIELD_PREFIXES, GENERATION_PREFIX, HEADINGS, LOCK, MANIFEST,
                     PARAGRAPH_COLUMNS, PARAGRAPHS, PHRASE_TABLE, TEMPORARY_PREFIX, TEXT, TITLE_OFFSETS, TITLE_TOKENS,
                     TOKEN_OFFSETS, TOKEN_SPANS, TOKENS, VOCABULARY)
from index.documents.limits import DocumentLimits
from index.lexical.search import SearchIndex
from index.store.generations import file_stamp, generation_settings, is_current, load_index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildReport:
    documents: int
    paragraphs: int
    analysed: int
    reused: int
    seconds: float
    reason: str


def open_index(corpus_dir: Path, index_dir: Path, engine: str = DEFAULT_ENGINE, params: Bm25Params = Bm25Params(),
               progress: Callable[[int, int], None] | None = None,
               builder: Callable[..., BuildReport] | None = None,
               limits: DocumentLimits = DocumentLimits()) -> tuple[SearchIndex, BuildReport | None]:
    """Load the index, rebuilding it from the corpus first when missing, damaged or stale.

    `builder` (default `build_index` with `limits`, same arguments) lets a server build in another process."""
    try:
        index = load_index(index_dir)
        fresh, reason = is_current(index, corpus_dir, engine, params)
        if fresh:
            return index, None
    except IndexCorruptError as exc:
        reason = exc.detail
    log.info("building index: %s", reason)
    if builder is None:
        report = build_index(corpus_dir, index_dir, engine, params, progress=progress, reason=reason, limits=limits)
    else:
        report = builder(corpus_dir, index_dir, engine, params, progress=progress, reason=reason)
    return load_index(index_dir, verify=False), report


@contextmanager
def build_lock(index_dir: Path):
    """Hold the index directory's build lock: one build at a time, across processes."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build_index(corpus_dir: Path, index_dir: Path, engine: str = DEFAULT_ENGINE, params: Bm25Params = Bm25Params(),
                progress: Callable[[int, int], None] | None = None, reason: str = "requested",
                vocabulary: list[str] | None = None, limits: DocumentLimits = DocumentLimits(),
                reader: Callable[[Path], Document] | None = None,
                last_good: Mapping[str, tuple[Document, tuple[int, int]]] | None = None) -> BuildReport:
    """Analyse the corpus (reusing unchanged documents' terms) and swap in a new generation.

    `vocabulary` seeds the term ids of an index built from nothing (an overlay shares its main index's).
    Documents are held to `limits`; `reader` (default `read_document` with them) reads a corpus file.
    A file that cannot be read, or is over a limit, is skipped with a warning when it is new; when the
    live generation holds its document, or `last_good` (file name -> a document and its file's stamp:
    a server's acknowledged uploads) does, that version is kept (an error in the log, `stale` in the
    manifest) and the file is read again by the next build: a document is never dropped because a
    later read of its file failed."""
    if engine not in ENGINES:
        raise InvalidInputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    read = reader or (lambda path: read_document(path, limits))
    started = time.perf_counter()
    with build_lock(index_dir):
        last = _previous(index_dir)
        vocab = {term: i for i, term in enumerate(last.vocabulary or vocabulary or [])}
        files = corpus_files(corpus_dir, warn=True)
        documents, paragraphs, terms, skipped, stale, seen = [], [], [], {}, {}, set()
        headings: dict[str, int] = {}  # heading -> its number
        analysed = reused = 0
        for n, path in enumerate(files, 1):
            stamp = file_stamp(path)
            if stamp is None:
                log.info("%s was removed while the index was built", path.name)
                continue
            doc = last.extracted.get((path.name, stamp))
            doc, paras, problem = _checked(path.name, doc or _read(path, read), limits)
            if problem is not None:
                kept = (last_good or {}).get(path.name) or last.version_of(path.name)
                if file_stamp(path) is None:  # deleted while it was read
                    log.info("%s was removed while the index was built", path.name)
                    continue
                if kept is None:
                    log.warning("skipped %s: %s", path.name, problem)
                    skipped[path.name] = list(stamp)
                    continue
                stale[path.name] = {"id": kept[0].id, "stamp": list(stamp), "reason": problem}
                (doc, stamp), paras = kept, split_paragraphs(kept[0])
                log.error("%s cannot be read now (%s); still serving its last good version, and reading it "
                          "again at the next build", path.name, problem)
            assert doc is not None  # _checked gives a document whenever it gives no problem
            if doc.id in seen:
                log.warning("skipped %s: id %r is already used", path.name, doc.id)
                skipped[path.name] = list(stamp)
                continue
            seen.add(doc.id)
            stored = last.terms.get((doc.id, doc.sha256))
            if stored is not None and len(stored[1]) == len(paras):
                reused += 1
                terms.append(stored)
            else:
                analysed += 1
                analysed_terms = [paragraph_columns(p) for p in paras]
                chunks = [_ids(words, vocab) for words, _, _ in analysed_terms]
                starts = [s for _, column, _ in analysed_terms for s in column]
                ends = [e for _, _, column in analysed_terms for e in column]
                terms.append((np.concatenate(chunks) if chunks else np.zeros(0, np.int32),
                              np.array([len(c) for c in chunks], dtype=np.int64),
                              np.stack([np.array(starts, dtype=np.int32), np.array(ends, dtype=np.int32)], axis=1)))
            documents.append((doc, path.name, stamp))
            paragraphs.append(paras)
            for p in paras:
                if p.heading is not None:
                    headings.setdefault(p.heading, len(headings))
            if progress:
                progress(n, len(files))
        generation = _write_generation(index_dir, documents, paragraphs, headings, vocab, terms,
                                       skipped, stale, engine, params)
        _swap_in(index_dir, generation)
    seconds = time.perf_counter() - started
    report = BuildReport(len(documents), sum(map(len, paragraphs)), analysed, reused, seconds, reason)
    log.info("index built: %d documents, %d paragraphs (%d analysed, %d reused) in %.2f s",
             report.documents, report.paragraphs, analysed, reused, seconds)
    return report


def _ids(terms: list[str], vocab: dict[str, int]) -> np.ndarray:
    setdefault = vocab.setdefault
    return np.fromiter((setdefault(t, len(vocab)) for t in terms), dtype=np.int32, count=len(terms))


def paragraph_search_text(p: Paragraph) -> str:
    """What is indexed for a paragraph: its heading (if any) and its text."""
    return f"{p.heading}\n{p.text}" if p.heading else p.text


def paragraph_columns(p: Paragraph) -> tuple[list[str], list[int], list[int]]:
    """The terms of `paragraph_search_text(p)` and their offsets in `p.text` ((-1, -1) for the heading's),
    as three columns (analysis.analyze_columns)."""
    terms, starts, ends = analysis.analyze_columns(paragraph_search_text(p))
    if p.heading:
        shift = len(p.heading) + 1
        starts = [s - shift if s >= shift else -1 for s in starts]
        ends = [e - shift if s >= 0 else -1 for s, e in zip(starts, ends)]
    return terms, starts, ends


def _read(path: Path, read: Callable[[Path], Document]) -> Document | str:
    """The file's document, or why it cannot be read."""
    try:
        return read(path)
    except (UnsupportedMediaTypeError, UnreadableDocumentError, DocumentTooLargeError, CorpusError) as exc:
        return exc.detail


def _checked(name: str, doc: Document | str, limits: DocumentLimits) -> tuple[Document | None, list, str | None]:
    """(the document, its paragraphs, None), or (None, [], why) when it could not be read or is over a limit
    (a reused document is checked again: the limits may have been lowered)."""
    if isinstance(doc, str):
        return None, [], doc
    paras = split_paragraphs(doc)
    try:
        limits.check_chars(name, len(doc.text))
        limits.check_paragraphs(name, len(paras))
    except DocumentTooLargeError as exc:
        return None, [], exc.detail
    return doc, paras, None


class _Previous(NamedTuple):
    """What a build reuses from the live generation (see `_previous`)."""
    vocabulary: list[str]
    terms: dict          # (document id, sha256) -> (term ids, paragraph lengths, term spans)
    extracted: dict      # (file name, stamp) of an unchanged PDF or Word file -> its Document as extracted then
    by_file: dict        # file name -> its manifest entry (id, stamp, ...): the last good version of each file
    live: SearchIndex | None  # the live generation (None when there is none); not `index`: tuple.index

    def version_of(self, file: str) -> tuple[Document, tuple[int, int]] | None:
        """The document the live generation holds for `file`, and the stamp of the file it was read from."""
        entry = self.by_file.get(file)
        if entry is None or self.live is None:  # by_file is empty without a live generation
            return None
        return self.live.document(entry["id"]), tuple(entry["stamp"])


def _previous(index_dir: Path) -> _Previous:
    """The live generation's vocabulary; per (document id, sha256), its term ids and paragraph lengths;
    per (file name, stamp) of an unchanged PDF or Word file, its Document as extracted then; per file
    name, the entry of the document it gave.

    The new build starts from the same vocabulary, so reused term ids need no remapping; the arrays
    are slices of the memory-mapped previous index (one per document, not per paragraph). Extracted
    text is reused so a restart does not parse unchanged PDFs again."""
    try:
        index = load_index(index_dir)
    except IndexCorruptError as exc:
        log.info("analysing every document: %s", exc.detail)
        return _Previous([], {}, {}, {}, None)
    by_file = {d["file"]: d for d in index.manifest["documents"]}
    if index.manifest["settings"]["analysis"] != analysis.settings():
        return _Previous([], {}, {}, by_file, index)
    out = {}
    for info in index.documents:
        bounds = index.token_offsets[info.first_paragraph:info.first_paragraph + info.paragraphs + 1]
        out[(info.id, info.sha256)] = (index.tokens[bounds[0]:bounds[-1]], np.diff(bounds),
                                       index.token_spans[bounds[0]:bounds[-1]])
    extracted = {(d["file"], tuple(d["stamp"])): index.document(d["id"]) for d in index.manifest["documents"]
                 if d["file"].lower().endswith(BINARY_SUFFIXES)}
    return _Previous(index.vocab_list, out, extracted, by_file, index)


def _write_generation(index_dir, documents, paragraphs, headings, vocab, terms, skipped, stale, engine, params):
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
    tmp = index_dir / f"{TEMPORARY_PREFIX}{stamp}"
    tmp.mkdir(parents=True)
    rows, doc_entries, blob_parts, byte_pos = [], [], [], 0
    for d, ((doc, file, stamp_of_file), paras) in enumerate(zip(documents, paragraphs)):
        encoded = doc.text.encode("utf-8")
        doc_entries.append({"id": doc.id, "title": doc.title, "file": file, "sha256": doc.sha256,
                            "stamp": list(stamp_of_file), "chars": len(doc.text),
                            **({"pages": list(doc.pages)} if doc.pages else {}),
                            "paragraphs": len(paras), "first_paragraph": len(rows),
                            "bytes": [byte_pos, byte_pos + len(encoded)]})
        char_pos, local = 0, 0
        for p in paras:
            local += len(doc.text[char_pos:p.start].encode("utf-8"))
            start_b = local
            local += len(p.text.encode("utf-8"))
            char_pos = p.end
            rows.append((d, p.number, p.start, p.end, byte_pos + start_b, byte_pos + local,
                         headings[p.heading] if p.heading is not None else -1))
        blob_parts.append(encoded)
        byte_pos += len(encoded)
    (tmp / TEXT).write_bytes(b"".join(blob_parts))
    np.save(tmp / PARAGRAPHS, np.array(rows, dtype=np.int64).reshape(-1, PARAGRAPH_COLUMNS), allow_pickle=False)
    (tmp / HEADINGS).write_text(json.dumps(list(headings), ensure_ascii=False), encoding="utf-8")
    lengths = np.concatenate([n for _, n, _ in terms]) if terms else np.zeros(0, np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.concatenate([t for t, _, _ in terms]).astype(np.int32) if terms else np.zeros(0, np.int32)
    np.save(tmp / TOKENS, flat, allow_pickle=False)
    np.save(tmp / TOKEN_OFFSETS, offsets, allow_pickle=False)
    spans = np.concatenate([s for _, _, s in terms]).astype(np.int32) if terms else np.zeros((0, 2), np.int32)
    np.save(tmp / TOKEN_SPANS, spans.reshape(-1, 2), allow_pickle=False)
    # title terms join the vocabulary before any engine is built, so every engine has a column for every term
    titles = [_ids(analysis.analyze(doc.title), vocab) for doc, _, _ in documents]
    engine_cls = ENGINES[engine]
    engine_cls.build(flat, offsets, len(vocab), params).save(tmp)
    pair_ids, pair_offsets, table = build_phrases(flat, offsets)
    np.save(tmp / PHRASE_TABLE, table, allow_pickle=False)
    engine_cls.build(pair_ids, pair_offsets, len(table), params).save(tmp, prefix=FIELD_PREFIXES["phrases"])
    title_offsets = np.zeros(len(titles) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in titles], out=title_offsets[1:])
    title_flat = np.concatenate(titles).astype(np.int32) if titles else np.zeros(0, np.int32)
    np.save(tmp / TITLE_TOKENS, title_flat, allow_pickle=False)
    np.save(tmp / TITLE_OFFSETS, title_offsets, allow_pickle=False)
    paragraph_counts = np.array([len(p) for p in paragraphs], dtype=np.int64)
    engine_cls.build(*title_field(title_flat, title_offsets, paragraph_counts), len(vocab), params).save(
        tmp, prefix=FIELD_PREFIXES["titles"])
    (tmp / VOCABULARY).write_text(json.dumps(list(vocab), ensure_ascii=False), encoding="utf-8")
    files = {}
    for name in BASE_FILES + tuple(prefix + f for prefix in FIELD_PREFIXES.values() for f in engine_cls.FILES):
        files[name] = {"bytes": (tmp / name).stat().st_size, "sha256": sha256_of(tmp / name)}
    manifest = {"settings": generation_settings(engine, params), "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "counts": {"documents": len(documents), "paragraphs": len(rows), "terms": len(vocab)},
                "documents": doc_entries, "skipped": skipped, "stale": stale, "files": files}
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for path in tmp.iterdir():
        path.chmod(0o444)  # a generation is never changed once written
    fsync_tree(tmp)
    final = index_dir / f"{GENERATION_PREFIX}{stamp}"
    os.replace(tmp, final)
    return final


def _swap_in(index_dir: Path, generation: Path) -> None:
    """Point CURRENT at `generation` atomically, then remove older generations and leftovers."""
    atomic_write(index_dir / CURRENT, (generation.name + "\n").encode())
    for old in index_dir.iterdir():
        if old != generation and (old.name.startswith((GENERATION_PREFIX, TEMPORARY_PREFIX)) and old.is_dir()):
            shutil.rmtree(old, ignore_errors=True)  # open mmaps of readers stay valid on POSIX
