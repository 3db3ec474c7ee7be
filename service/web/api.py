"""The JSON API: ask, search, documents, health and the OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from index.documents import pages_of

from ..qa.answers import answer_question
from ..qa.passages import find_passages
from ..qa.questions import describe_query
from ..qa.responses import ask_json, passage_json
from . import validation
from .context import BUILDING_RETRY_SECONDS, current_index, live_index, partial_fields, settings
from .middleware import took_ms
from .openapi import openapi_document
from .problems import problem

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.post("/ask")
def ask():
    body = validation.json_body(request, validation.MAX_ASK_BODY_BYTES)
    question = validation.question(body.get("question"))
    k = validation.top_k(body.get("top_k"))
    history = validation.history(body.get("history"))
    index = current_index()
    documents = validation.documents_filter(body.get("documents"), index)
    result = answer_question(index, question, top_k=k, history=history, threshold=settings().answer_threshold,
                             documents=documents)
    payload = {**ask_json(result, index), **partial_fields(index)}
    payload["took_ms"] = took_ms()
    return jsonify(payload)


@bp.get("/search")
def search():
    q = validation.question(request.args.get("q"), "q")
    k = validation.top_k(request.args.get("k"), "k", from_query=True)
    index = current_index()
    documents = validation.documents_filter(request.args.get("documents"), index, from_query=True)
    parsed, _, found = find_passages(index, q, top_k=k, documents=documents)
    passages = [passage_json(p, index) for p in found]
    return jsonify({"q": q, "query": describe_query(parsed.search), "passages": passages, **partial_fields(index),
                    "took_ms": took_ms()})


@bp.get("/documents")
def documents():
    index = current_index()
    return jsonify({"documents": [{"id": d.id, "title": d.title, "paragraphs": d.paragraphs, "chars": d.chars,
                                   "sha256": d.sha256, **({"pages": len(d.pages)} if d.pages else {})}
                                  for d in index.documents], "took_ms": took_ms()})


@bp.get("/documents/<path:document_id>")
def document(document_id: str):
    validation.document_in_url(document_id)
    index = current_index()
    doc = index.document(document_id)
    paged = {"pages": len(doc.pages)} if doc.pages else {}
    return jsonify({"id": doc.id, "title": doc.title, "text": doc.text, "sha256": doc.sha256, **paged,
                    "paragraphs": [{"number": p.number, "start": p.start, "end": p.end, "heading": p.heading,
                                    **({"pages": pages_of(doc.pages, p.start, p.end)} if doc.pages else {})}
                                   for p in index.document_paragraphs(document_id)],
                    "took_ms": took_ms()})


@bp.get("/health")
def health():
    """200 while answering (index state "ready", or "building" from the last good generation);
    503 problem+json with Retry-After while the first index is built. "degraded" while a shard is down
    or holds unreadable data, or while documents are served from their last good version because
    their files can no longer be read (`documents_unreadable`)."""
    live = live_index()
    state = {"state": "building", "reason": live.building} if live.building else {"state": "ready"}
    if live.current is None:
        response = problem(503, "Service unavailable", "the index is being built; try again in a few seconds",
                           index=state)
        response.headers["Retry-After"] = str(BUILDING_RETRY_SECONDS)
        return response
    index = live.current
    shards = live.shard_states()
    unreadable = [{"id": kept["id"], "file": file, "reason": kept["reason"]}
                  for file, kept in index.manifest.get("stale", {}).items()]
    degraded = unreadable or (shards and any(s["state"] != "up" or "data_error" in s for s in shards))
    return jsonify({"status": "degraded" if degraded else "ok", "documents": len(index.documents),
                    "paragraphs": index.num_paragraphs, "documents_unreadable": unreadable,
                    "writes": settings().api_token is not None,
                    "index": {**state, "built_at": index.manifest["built_at"],
                              "engine": index.manifest["settings"]["engine"]},
                    "semantic": live.semantic.state(), **({"shards": shards} if shards else {}),
                    "took_ms": took_ms()})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
