"""Document writes: POST /api/documents and DELETE /api/documents/<id>, behind a bearer token.

Files are written into the corpus folder atomically (hidden temp file + fsync + os.replace); the
index is refreshed before the response, so the new text is searchable when the client hears back.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, jsonify, request

from index.documents.formats import BINARY_SUFFIXES
from index.documents import SUFFIXES, Document, document_id_for, parse_document, split_paragraphs
from index.errors import ConflictError, DocumentNotFoundError, InvalidInputError, UnsupportedMediaTypeError
from index.files import atomic_write

from . import validation
from .auth import require_token
from .context import current_index, live_index, parse_slots, settings
from .live import corpus_files_for
from .middleware import took_ms

log = logging.getLogger(__name__)
bp = Blueprint("writes", __name__, url_prefix="/api")


def _incoming() -> tuple[str, str, bytes]:
    """(document id, file name, bytes) from a multipart upload or a JSON body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidInputError("send the document as multipart field 'file' (or JSON {id, title, text})")
        name = upload.filename
        if "/" in name or "\\" in name or name.startswith("."):
            raise InvalidInputError(f"file name {name!r} may not contain a path")
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            raise UnsupportedMediaTypeError(f"{name}: only {', '.join(SUFFIXES)} files are accepted")
        explicit = request.form.get("id")
        doc_id = validation.document_id(explicit or document_id_for(name))
        if not explicit and corpus_files_for(settings().corpus, doc_id):
            raise ConflictError(f"a document with id {doc_id!r} exists already; send form field id={doc_id} "
                                "to replace it, or another id to keep both")
        return doc_id, doc_id + (".html" if suffix == ".htm" else suffix), upload.read()
    body = validation.json_body(request)
    doc_id = validation.document_id(body.get("id"))
    text, title = body.get("text"), body.get("title")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("'text' must be a non-empty string")
    if title is None:
        return doc_id, f"{doc_id}.txt", text.encode("utf-8")
    if not isinstance(title, str) or not title.strip() or len(title) > 300 or "\n" in title:
        raise InvalidInputError("'title' must be one line of 1-300 characters")
    front = f"---\ntitle: {title.strip()}\n---\n"
    return doc_id, f"{doc_id}.md", (front + text).encode("utf-8")


@bp.post("/documents")
def put_document():
    require_token()
    doc_id, name, data = _incoming()
    live = live_index()
    corpus = live.settings.corpus
    document, paragraphs = _parse(doc_id, name, data, corpus / name, live)  # 413/415/422 before anything is written
    current_index()  # 503 while the first index is built: a write needs one to lay its overlay on
    with live.write_lock:
        existing = corpus_files_for(corpus, doc_id)
        atomic_write(corpus / name, data)
        for old in existing:
            if old.name != name:
                old.unlink(missing_ok=True)
        live.document_written(doc_id, document)
    log.info("document %s %s (%d bytes)", doc_id, "replaced" if existing else "created", len(data))
    status = "replaced" if existing else "created"
    return jsonify({"id": doc_id, "status": status, "paragraphs": paragraphs, "took_ms": took_ms()}), (
        200 if existing else 201)


def _parse(doc_id: str, name: str, data: bytes, path: Path, live) -> tuple[Document, int]:
    """The document (to be written at `path`) and its paragraph count, held to the limits every later
    build applies; a PDF or Word file is parsed in a parse slot."""
    if name.lower().endswith(BINARY_SUFFIXES):
        with parse_slots().slot():
            document = parse_document(doc_id, name, data, str(path), limits=live.limits, parsed=live.parsed)
    else:
        document = parse_document(doc_id, name, data, str(path), limits=live.limits)
    paragraphs = len(split_paragraphs(document))
    if not paragraphs:
        raise InvalidInputError("the document has no text to index")
    live.limits.check_paragraphs(name, paragraphs)
    return document, paragraphs


@bp.delete("/documents/<path:document_id>")
def delete_document(document_id: str):
    require_token()
    validation.document_id(document_id)
    current_index()
    live = live_index()
    with live.write_lock:
        existing = corpus_files_for(live.settings.corpus, document_id)
        if not existing:
            raise DocumentNotFoundError(f"no document with id {document_id!r}")
        for path in existing:
            path.unlink(missing_ok=True)
        live.document_written(document_id)
    log.info("document %s deleted", document_id)
    return jsonify({"id": document_id, "status": "deleted", "took_ms": took_ms()})
