"""HTML pages: the chat page and one page per document (content filled in by JS from the API)."""

from __future__ import annotations

import io

from flask import Blueprint, render_template, send_file

from index.documents.formats import CONTENT_TYPES
from index.documents import pages_of, read_corpus_file
from index.errors import DocumentNotFoundError

from . import validation
from .context import current_index, settings
from .validation import MAX_QUESTION_CHARS

bp = Blueprint("pages", __name__)
TEXT_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".html": "text/html", ".htm": "text/html"}


@bp.get("/")
def chat():
    return render_template("chat.html", max_question=MAX_QUESTION_CHARS)


@bp.get("/documents")
def documents():
    return render_template("documents.html", documents=sorted(current_index().documents, key=lambda d: d.title.lower()))


@bp.get("/documents/<path:document_id>")
def document(document_id: str):
    validation.document_in_url(document_id)
    index = current_index()
    doc = index.document(document_id)
    paragraphs = [(p, pages_of(doc.pages, p.start, p.end)) for p in index.document_paragraphs(document_id)]
    return render_template("document.html", document=doc, paragraphs=paragraphs)


@bp.get("/documents/<path:document_id>/original")
def original(document_id: str):
    """The file as it is in the corpus folder (a PDF, a Word file ...), as a download."""
    validation.document_in_url(document_id)
    path = settings().corpus / current_index().info(document_id).file  # 404 for a document the index lacks
    if not path.is_file():
        raise DocumentNotFoundError(f"the file of document {document_id!r} is no longer in the corpus folder")
    mimetype = {**TEXT_TYPES, **CONTENT_TYPES}.get(path.suffix.lower(), "application/octet-stream")
    return send_file(io.BytesIO(read_corpus_file(path)), mimetype=mimetype, as_attachment=True,
                     download_name=path.name)
