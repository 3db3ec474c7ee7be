"""HTML pages: the chat page and one page per document (content filled in by JS from the API)."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import validation
from .context import current_index

bp = Blueprint("pages", __name__)


@bp.get("/")
def chat():
    return render_template("chat.html")


@bp.get("/documents/<path:document_id>")
def document(document_id: str):
    validation.document_in_url(document_id)
    index = current_index()
    doc = index.document(document_id)
    return render_template("document.html", document=doc, paragraphs=index.document_paragraphs(document_id))
