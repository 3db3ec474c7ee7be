"""Generations on disk: which one is live, validating and loading it, and whether it is current.

A generation is read-only once written (index/store/build.py); CURRENT names the live one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from index import analysis
from index.documents import corpus_files, document_id_for
from index.errors import IndexCorruptError
from index.files import sha256_of
from index.lexical.bm25 import Bm25Params
from index.lexical.search import SearchIndex
from index.store.layout import CURRENT, FORMAT_VERSION, GENERATION_PREFIX, MANIFEST

log = logging.getLogger(__name__)


def generation_settings(engine: str, params: Bm25Params) -> dict:
    """What a generation records of how it was built: format, analysis, engine and BM25 parameters."""
    return {"format": FORMAT_VERSION, "analysis": analysis.settings(), "engine": engine, "bm25": params.as_dict()}


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / CURRENT).read_bytes().decode("utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {index_dir / CURRENT}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise IndexCorruptError(f"{index_dir / CURRENT} is not UTF-8 text") from None
    if not name.startswith(GENERATION_PREFIX) or "/" in name or name in (".", ".."):
        raise IndexCorruptError(f"{CURRENT} names {name!r}, not an index generation")
    return index_dir / name


def read_manifest(generation: Path) -> dict:
    try:
        manifest = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"{generation.name} has no manifest.json") from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{generation.name}/manifest.json is unreadable: {exc}") from None
    settings = manifest.get("settings") if isinstance(manifest, dict) else None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(settings, dict) or not isinstance(files, dict) or not all(_is_file_entry(e) for e in files.values()):
        raise IndexCorruptError(f"{generation.name}/manifest.json is damaged (settings or files malformed)")
    if settings.get("format") != FORMAT_VERSION:
        raise IndexCorruptError(f"{generation.name} has format {settings.get('format')!r}, "
                                f"this docqa reads format {FORMAT_VERSION}")
    return manifest


def _is_file_entry(entry: object) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("bytes"), int)
            and isinstance(entry.get("sha256"), str))


def load_index(index_dir: Path, engine: str | None = None, verify: bool = True) -> SearchIndex:
    """Load the live generation; IndexCorruptError (with the reason) if it is missing or damaged."""
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexCorruptError(f"no index in {index_dir} yet")
    manifest = read_manifest(generation)
    for name, expected in manifest["files"].items():
        path = generation / name
        if not path.is_file():
            raise IndexCorruptError(f"{generation.name}/{name} is missing")
        if path.stat().st_size != expected["bytes"] or (verify and sha256_of(path) != expected["sha256"]):
            raise IndexCorruptError(f"{generation.name}/{name} does not match its checksum")
    if engine is not None and engine != manifest["settings"]["engine"]:
        raise IndexCorruptError(f"index was built for engine {manifest['settings']['engine']}, {engine} requested")
    try:
        return SearchIndex.open(generation, manifest)
    except (OSError, ValueError, KeyError) as exc:
        raise IndexCorruptError(f"{generation.name} cannot be opened: {exc}") from None


def damage(index: SearchIndex) -> str | None:
    """Why the files of a loaded generation no longer match its manifest (a file gone or of another
    size: touching a truncated memory-mapped file would kill the process with SIGBUS), or None."""
    for name, expected in index.manifest["files"].items():
        try:
            size = (index.directory / name).stat().st_size
        except OSError:
            return f"{index.directory.name}/{name} is gone"
        if size != expected["bytes"]:
            return f"{index.directory.name}/{name} changed size ({expected['bytes']} -> {size} bytes)"
    return None


def _corpus_fingerprint(corpus_dir: Path) -> dict[str, tuple[int, int]]:
    """Each corpus file's (size, mtime); a file deleted since the folder was listed is left out."""
    stamps = {}
    for path in corpus_files(corpus_dir):
        stamp = file_stamp(path)
        if stamp is not None:
            stamps[path.name] = stamp
    return stamps


def _recorded_stamps(manifest: dict) -> dict[str, tuple[int, int]]:
    """The (size, mtime) of every corpus file as the build that wrote `manifest` saw it: indexed, skipped,
    or kept from an earlier version because it could not be read (`stale`)."""
    stamps = {d["file"]: tuple(d["stamp"]) for d in manifest["documents"]}
    stamps.update({name: tuple(stamp) for name, stamp in manifest.get("skipped", {}).items()})
    stamps.update({name: tuple(kept["stamp"]) for name, kept in manifest.get("stale", {}).items()})
    return stamps


def is_current(index: SearchIndex, corpus_dir: Path, engine: str, params: Bm25Params) -> tuple[bool, str]:
    """Whether `index` matches the corpus and settings; the reason when it does not."""
    if index.manifest["settings"] != generation_settings(engine, params):
        return False, "settings changed"
    stamps = _recorded_stamps(index.manifest)
    now = _corpus_fingerprint(corpus_dir)
    if now != stamps:
        changed = sorted(set(now.items()) ^ set(stamps.items()))
        return False, f"{len(changed)} corpus file change(s), e.g. {changed[0][0]}"
    return True, "up to date"


def changed_documents(index: SearchIndex, corpus_dir: Path) -> tuple[set[str], int]:
    """The ids of documents whose files were added, changed or removed since `index` was built, and
    how many bytes the added and changed files hold."""
    stamps = _recorded_stamps(index.manifest)
    now = _corpus_fingerprint(corpus_dir)
    changed = {name for name, stamp in now.items() if stamps.get(name) != stamp}
    ids = {document_id_for(name) for name in changed | (stamps.keys() - now.keys())}
    return ids, sum(now[name][0] for name in changed)


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(size, mtime) of a corpus file; None when it is gone (deleted since the folder was listed)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns
