"""Configuration: defaults -> DOCQA_* environment -> explicit overrides, validated once at start-up."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from index.lexical.bm25 import Bm25Params
from index.lexical.engines import DEFAULT_ENGINE, ENGINES
from index.errors import InvalidInputError
from index.documents.limits import MAX_DOCUMENT_CHARS, MAX_DOCUMENT_PARAGRAPHS, PARSE_SECONDS, DocumentLimits
from index.shards.format import ENGINE_NAME as SHARDED_ENGINE

from .qa.answers import ANSWER_THRESHOLD

ENGINE_CHOICES = (*ENGINES, SHARDED_ENGINE)


class ConfigError(InvalidInputError):
    title = "Invalid configuration"


@dataclass(frozen=True)
class Settings:
    corpus: Path
    index_dir: Path
    engine: str = DEFAULT_ENGINE
    k1: float = Bm25Params.k1  # the BM25 parameters' one default: index/lexical/bm25.py
    b: float = Bm25Params.b
    api_token: str | None = None
    max_body_bytes: int = 10 * 1024 * 1024
    answer_threshold: float = ANSWER_THRESHOLD
    threads: int = 4
    poll_seconds: float = 2.0
    child_build_bytes: int = 20 * 2**20  # corpora above this are (re)built in a child process
    semantic: bool = True  # the semantic re-ranking signal, when its model is installed (index/semantic/model.py)
    shards: str | None = None    # engine "xapian": the shards' xapian-tcpsrv addresses, host:port,host:port,...
    shard_timeout: float = 2.0   # seconds a shard may take per network operation before it counts as down
    shard_failure: str = "error"  # a shard down: "error" (503 naming it) or "partial" (answers flagged partial)
    max_document_chars: int = MAX_DOCUMENT_CHARS          # text one document may have (upload 413, build skips)
    max_document_paragraphs: int = MAX_DOCUMENT_PARAGRAPHS  # paragraphs one document may have
    parse_seconds: float = PARSE_SECONDS  # a PDF or Word file whose parsing takes longer is refused
    parse_workers: int = 2       # PDF and Word uploads parsed at once; more wait briefly, then 503
    header_seconds: float = 20.0  # a connection has this long to send a request's headers, however slowly
    proxy_hops: int = 0          # reverse proxies in front that set X-Forwarded-For (0: use the socket's address)
    shard_writers: str | None = None  # engine xapian: the shards' write endpoints (default: each shard's port + 1000)
    shard_token: str | None = None    # the shards' write token (default: DOCQA_API_TOKEN)

    def document_limits(self) -> DocumentLimits:
        """The per-document limits of every read: uploads, the server's rebuilds, `docqa index`."""
        return DocumentLimits(self.max_document_chars, self.max_document_paragraphs, self.parse_seconds)

    def __repr__(self) -> str:  # never show the token in logs or tracebacks
        shown = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        shown["api_token"] = "<set>" if self.api_token else None
        shown["shard_token"] = "<set>" if self.shard_token else None
        return f"Settings({shown})"


ENV = {f.name: "DOCQA_" + f.name.upper() for f in dataclasses.fields(Settings)}


def load_settings(instance_path: str | Path, environ: Mapping[str, str] = {},
                  overrides: Mapping[str, Any] | None = None) -> Settings:
    """Merge the three sources and validate; ConfigError names the setting that is wrong."""
    values: dict[str, Any] = {"corpus": "docs_corpus", "index_dir": Path(instance_path) / "index"}
    for name, var in ENV.items():
        if environ.get(var, "") != "":
            values[name] = environ[var]
    for name, value in (overrides or {}).items():
        if name not in ENV:
            raise ConfigError(f"unknown setting {name!r}")
        if value is not None:
            values[name] = value
    kinds = {f.name: str(f.type) for f in dataclasses.fields(Settings)}  # strings: postponed annotations
    parsed = {}
    for name, value in values.items():
        try:
            parsed[name] = _parse(kinds[name], value)
        except (TypeError, ValueError, KeyError):
            raise ConfigError(f"{ENV[name]} / {name} must be {kinds[name]}, got {value!r}") from None
    settings = Settings(**parsed)
    _validate(settings)
    return settings


def _parse(kind: str, value: Any) -> Any:
    if kind == "Path":
        return Path(value)
    if kind == "float":
        number = float(value)
        if not math.isfinite(number):
            raise ValueError
        return number
    if kind == "bool":
        words = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
        return value if isinstance(value, bool) else words[str(value).strip().lower()]
    if kind == "int":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        return int(value)
    return None if value is None else str(value)


def _validate(s: Settings) -> None:
    checks = [
        (s.engine in ENGINE_CHOICES, "engine", f"one of {', '.join(ENGINE_CHOICES)}"),
        (s.engine != SHARDED_ENGINE or bool(s.shards), "shards", "the shards' addresses, host:port,... (engine xapian)"),
        (s.shards is None or _addresses_ok(s.shards), "shards", "host:port,host:port,..."),
        (s.shard_writers is None or (_addresses_ok(s.shard_writers) and s.shards is not None
                                     and s.shard_writers.count(",") == s.shards.count(",")), "shard_writers",
         "host:port,... with one address per shard, in the order of DOCQA_SHARDS"),
        (s.shard_token is None or len(s.shard_token) >= 8, "shard_token", "at least 8 characters"),
        (0 < s.shard_timeout <= 600, "shard_timeout", "in (0, 600] seconds"),
        (s.shard_failure in ("error", "partial"), "shard_failure", "error or partial"),
        (0 < s.k1 <= 10, "k1", "in (0, 10]"),
        (0 <= s.b <= 1, "b", "in [0, 1]"),
        (s.max_body_bytes >= 1024, "max_body_bytes", "at least 1024"),
        (0 <= s.answer_threshold <= 1, "answer_threshold", "in [0, 1]"),
        (1 <= s.threads <= 64, "threads", "in 1..64"),
        (1 <= s.parse_workers <= max(1, s.threads - 1), "parse_workers",
         f"in 1..{max(1, s.threads - 1)} (fewer than DOCQA_THREADS, so that parsing never takes every thread)"),
        (s.max_document_chars >= 1000, "max_document_chars", "at least 1000"),
        (s.max_document_paragraphs >= 1, "max_document_paragraphs", "at least 1"),
        (0 < s.parse_seconds <= 3600, "parse_seconds", "in (0, 3600] seconds"),
        (0 < s.header_seconds <= 600, "header_seconds", "in (0, 600] seconds"),
        (0 <= s.proxy_hops <= 10, "proxy_hops", "in 0..10"),
        (s.poll_seconds >= 0, "poll_seconds", "0 (off) or more"),
        (s.api_token is None or len(s.api_token) >= 8, "api_token", "at least 8 characters"),
        (s.child_build_bytes >= 0, "child_build_bytes", "0 (always) or more"),
        (s.index_dir.is_dir() or not s.index_dir.exists(), "index_dir", "a folder (or a path to create one at)"),
    ]
    for ok, name, expected in checks:
        if not ok:
            got = "a shorter one" if name.endswith("_token") else repr(getattr(s, name))  # never echo a secret
            raise ConfigError(f"{ENV[name]} / {name} must be {expected}, got {got}")


def _addresses_ok(text: str) -> bool:
    from index.shards.client import parse_addresses

    try:
        parse_addresses(text)
    except InvalidInputError:
        return False
    return True


def default_instance_path() -> Path:
    """Flask's instance folder for this package (e.g. ./instance next to a source checkout)."""
    from flask import Flask

    return Path(Flask("service").instance_path)
