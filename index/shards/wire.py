"""A ShardDocument as JSON, for the authenticated write endpoint beside each read-only shard server
(service/shard_writer.py): the query node analyses a written document, the shard's host stores it.

Paragraph text is not sent twice: each paragraph is its offsets into the document's text.
"""

from __future__ import annotations

from typing import TypeGuard

from index.documents import DOCUMENT_ID, Paragraph
from index.errors import InvalidInputError
from index.shards.build import ShardDocument

ENTRY_FIELDS = {"id": str, "title": str, "file": str, "sha256": str, "chars": int, "paragraphs": int, "pages": list}


def to_json(document: ShardDocument) -> dict:
    return {"entry": document.entry, "text": document.text, "title_terms": document.title_terms,
            "paragraphs": [{"number": p.number, "start": p.start, "end": p.end, "heading": p.heading, "terms": terms}
                           for p, terms in document.paragraphs]}


def from_json(data) -> ShardDocument:
    """The ShardDocument `to_json` gave; InvalidInputError saying what is wrong with anything else."""
    if not isinstance(data, dict) or not isinstance(data.get("entry"), dict) or not isinstance(data.get("text"), str):
        raise InvalidInputError("send {entry, text, title_terms, paragraphs}")
    entry, text = data["entry"], data["text"]
    for name, kind in ENTRY_FIELDS.items():
        if not isinstance(entry.get(name), kind) or isinstance(entry.get(name), bool):
            raise InvalidInputError(f"entry.{name} must be {kind.__name__}")
    if not DOCUMENT_ID.fullmatch(entry["id"]):
        raise InvalidInputError("entry.id is not a document id")
    title_terms, paragraphs = data.get("title_terms"), data.get("paragraphs")
    if not _strings(title_terms) or not isinstance(paragraphs, list) or len(paragraphs) != entry["paragraphs"]:
        raise InvalidInputError("title_terms must be strings, and paragraphs as many as entry.paragraphs")
    out = []
    for n, p in enumerate(paragraphs, 1):
        if (not isinstance(p, dict) or p.get("number") != n or not _strings(p.get("terms"))
                or not all(isinstance(p.get(k), int) and not isinstance(p.get(k), bool) for k in ("start", "end"))
                or not 0 <= p["start"] <= p["end"] <= len(text) or not isinstance(p.get("heading"), (str, type(None)))):
            raise InvalidInputError(f"paragraphs[{n - 1}] must be {{number: {n}, start, end (in text), heading, terms}}")
        out.append((Paragraph(entry["id"], n, p["start"], p["end"], text[p["start"]:p["end"]], p["heading"]),
                    p["terms"]))
    return ShardDocument({name: entry[name] for name in ENTRY_FIELDS}, text, out, title_terms)


def _strings(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
