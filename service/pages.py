"""HTML pages: the chat page and one page per document (content filled in by JS from the API)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from index.errors import DocumentNotFoundError, InvalidInputError

from . import validation

bp = Blueprint("pages", __name__)


@bp.get("/")
def chat():
    return render_template("chat.html")


@bp.get("/documents/<path:document_id>")
def document(document_id: str):
    try:
        validation.document_id(document_id)
    except InvalidInputError:
        raise DocumentNotFoundError(f"no document with id {document_id!r}") from None
    index = current_app.extensions["docqa.index"].current
    doc = index.document(document_id)
    return render_template("document.html", document=doc, paragraphs=index.document_paragraphs(document_id))
