"""HTML pages: the chat page and one page per document (content filled in by JS from the API)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from . import validation

bp = Blueprint("pages", __name__)


@bp.get("/")
def chat():
    return render_template("chat.html")


@bp.get("/documents/<path:document_id>")
def document(document_id: str):
    validation.document_in_url(document_id)
    index = current_app.extensions["docqa.index"].current
    doc = index.document(document_id)
    return render_template("document.html", document=doc, paragraphs=index.document_paragraphs(document_id))
