"""The OpenAPI 3.1 description of the HTTP API, in one place (served at /api/openapi.json)."""

from __future__ import annotations

from functools import lru_cache

from index.documents import DOCUMENT_ID_PATTERN

from ..qa.answers import DEFAULT_TOP_K, MAX_TOP_K
from .validation import MAX_ANSWER_CHARS, MAX_CITATIONS, MAX_DOCUMENT_FILTER, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS

_ID = {"type": "string", "pattern": f"^{DOCUMENT_ID_PATTERN}$"}
_OFFSETS = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}
_PAGES = {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1,
          "description": "the pages the paragraph lies on (PDF only; two when it runs over a page break)"}

_PARTIAL = {  # the sharded engine with DOCQA_SHARD_FAILURE=partial, when shards did not answer
    "partial": {"const": True, "description": "present when some shards did not answer (engine xapian)"},
    "missing_shards": {"type": "array", "items": {"type": "string"}, "description": "their host:port"}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problems(*codes: int) -> dict:
    text = {400: "Malformed request", 401: "Missing or wrong token", 403: "Writes disabled", 404: "Not found",
            409: "An upload's derived id is taken (send field id to replace)",
            413: "Body too large, or a document over DOCQA_MAX_DOCUMENT_CHARS or DOCQA_MAX_DOCUMENT_PARAGRAPHS",
            415: "Wrong content type", 422: "Invalid input", 429: "Too many failed token attempts (see Retry-After)",
            500: "Server error",
            503: "The first index is being built, a shard did not answer or holds unreadable data, or every "
                 "parse slot is busy (see Retry-After)"}
    return {str(c): {"description": text[c], "content": {"application/problem+json": {"schema": _ref("Problem")}}}
            for c in codes}


SCHEMAS = {
    "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "request_id": {"type": "string"}}},
    "Turn": {"type": "object", "required": ["question"], "properties": {
        "question": {"type": "string", "maxLength": MAX_QUESTION_CHARS},
        "answer": {"type": ["string", "null"], "maxLength": MAX_ANSWER_CHARS},
        "citations": {"type": "array", "maxItems": MAX_CITATIONS, "description": "what the client was shown, the "
                      "answer's passage first", "items": {"type": "object", "required": ["document", "paragraph"],
                                                          "properties": {"document": _ID, "paragraph": {
                                                              "type": "integer", "minimum": 1}}}}}},
    "AskRequest": {"type": "object", "required": ["question"], "properties": {
        "question": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS, "pattern": "\\S",
                     "description": "1-1000 characters after trimming"},
        "top_k": {"type": "integer", "minimum": 1, "maximum": MAX_TOP_K, "default": DEFAULT_TOP_K},
        "history": {"type": "array", "maxItems": MAX_HISTORY_TURNS, "items": _ref("Turn"),
                    "description": "earlier turns, oldest first, held by the client"},
        "documents": {"type": ["array", "null"], "items": _ID, "minItems": 1, "maxItems": MAX_DOCUMENT_FILTER,
                      "description": "answer only from these documents (ids the index holds); null or absent: all"}}},
    "Passage": {"type": "object",
                "required": ["text", "score", "document", "title", "paragraph", "start", "end", "highlights", "url"],
                "properties": {
                    "text": {"type": "string"}, "score": {"type": "number"},
                    "semantic": {"type": "number", "description": "the part of score the semantic signal gave (0: lexical only)"},
                    "document": {"type": "string"},
                    "title": {"type": "string"}, "paragraph": {"type": "integer", "minimum": 1},
                    "heading": {"type": ["string", "null"]},
                    "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0},
                    "page": {"type": "integer", "minimum": 1, "description": "the page the paragraph starts on (PDF only)"},
                    "pages": _PAGES,
                    "highlights": {"type": "array", "items": _OFFSETS}, "url": {"type": "string"}}},
    "Answer": {"type": ["object", "null"], "required": ["text", "highlight", "passage", "confidence"], "properties": {
        "text": {"type": "string"},
        "highlight": {"type": ["object", "null"], "required": ["start", "end"], "properties": {
            "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0}}},
        "passage": {"type": "integer", "minimum": 0}, "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "resolved": {"type": "array",
                     "description": "who a pronoun in the answer is: the name quoted from its document (paragraph, offsets)",
                     "items": {"type": "object", "required": ["text", "refers_to", "start", "end", "document",
                                                              "paragraph", "doc_start", "doc_end"], "properties": {
                         "text": {"type": "string"}, "refers_to": {"type": "string"},
                         "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0},
                         "document": {"type": "string"}, "paragraph": {"type": "integer", "minimum": 1},
                         "doc_start": {"type": "integer", "minimum": 0},
                         "doc_end": {"type": "integer", "minimum": 0}}}},
        "speaker": {"type": "object", "description": "who speaks, when the answer sentence reports speech: the name "
                    "as its document writes it in full, and where (for a pronoun, its antecedent)",
                    "required": ["name", "document", "paragraph", "start", "end"], "properties": {
                        "name": {"type": "string"}, "document": {"type": "string"},
                        "paragraph": {"type": "integer", "minimum": 1},
                        "start": {"type": "integer", "minimum": 0, "description": "offset in the document's text"},
                        "end": {"type": "integer", "minimum": 0}}}}},
    "Quote": {"type": "object", "required": ["passage", "start", "end", "text"], "properties": {
        "passage": {"type": "integer", "minimum": 0}, "start": {"type": "integer", "minimum": 0,
                                                             "description": "offset in the passage's text"},
        "end": {"type": "integer", "minimum": 0}, "text": {"type": "string"}}},
    "Disagreement": {"type": "object", "required": ["value", "passages", "documents"], "properties": {
        "value": {"type": "string", "description": "the figure, in digits"},
        "measure": {"type": "string", "description": "what it counts (died, aboard, survived, arrested, ... or the "
                    "counted noun): only values of the question's own measure are compared"},
        "passages": {"type": "array", "items": {"type": "integer"}},
        "documents": {"type": "array", "items": {"type": "string"},
                      "description": "the distinct documents stating it (corroboration)"},
        "quote": _ref("Quote"),
        "superseded_by": {"type": "string", "description": "a text says this figure was revised to that one"},
        "revision": _ref("Quote")}},
    "AskResponse": {"type": "object",
                    "required": ["question", "query", "read_as", "answer", "disagreement", "passages", "took_ms"],
                    "properties": {
                        "question": {"type": "string"}, "query": {"type": "string", "description": "the terms searched"},
                        "read_as": {"type": "string", "description": "the question as understood, in words (the "
                                    "question itself when it does not lean on the history)"},
                        "answer": _ref("Answer"),
                        "message": {"type": "string", "description": "why there is no answer, when there is more to "
                                    "say than that nothing answers (\"The documents give no reason for that.\")"},
                        "disagreement": {"type": "array", "items": _ref("Disagreement")},
                        "passages": {"type": "array", "items": _ref("Passage")}, **_PARTIAL,
                        "took_ms": {"type": "number"}}},
    "SearchResponse": {"type": "object", "required": ["q", "query", "passages", "took_ms"], "properties": {
        "q": {"type": "string"}, "query": {"type": "string"}, "passages": {"type": "array", "items": _ref("Passage")},
        **_PARTIAL, "took_ms": {"type": "number"}}},
    "DocumentSummary": {"type": "object", "required": ["id", "title", "paragraphs", "chars", "sha256"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "paragraphs": {"type": "integer"},
        "chars": {"type": "integer"}, "sha256": {"type": "string"},
        "pages": {"type": "integer", "minimum": 1, "description": "page count (PDF only)"}}},
    "DocumentList": {"type": "object", "required": ["documents"], "properties": {
        "documents": {"type": "array", "items": _ref("DocumentSummary")}, "took_ms": {"type": "number"}}},
    "Document": {"type": "object", "required": ["id", "title", "text", "paragraphs"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "text": {"type": "string"}, "sha256": {"type": "string"},
        "pages": {"type": "integer", "minimum": 1, "description": "page count (PDF only)"},
        "paragraphs": {"type": "array", "items": {"type": "object", "required": ["number", "start", "end", "heading"],
                                                  "properties": {"number": {"type": "integer"}, "start": {"type": "integer"},
                                                                 "end": {"type": "integer"},
                                                                 "heading": {"type": ["string", "null"]},
                                                                 "pages": _PAGES}}},
        "took_ms": {"type": "number"}}},
    "NewDocument": {"type": "object", "required": ["id", "text"], "properties": {
        "id": _ID, "title": {"type": "string", "maxLength": 300}, "text": {"type": "string", "minLength": 1}}},
    "Upload": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream",
                 "description": "a .txt, .md or .html file in UTF-8, a .pdf with a text layer or a Word .docx; "
                                "the id is its file name without extension"}}},
    "WriteResult": {"type": "object", "required": ["id", "status"], "properties": {
        "id": {"type": "string"}, "status": {"type": "string", "enum": ["created", "replaced", "deleted"]},
        "paragraphs": {"type": "integer"}, "took_ms": {"type": "number"}}},
    "Health": {"type": "object", "required": ["status", "documents", "paragraphs", "index"], "properties": {
        "status": {"enum": ["ok", "degraded"], "description": "degraded: a shard is down or holds data that "
                   "cannot be read (engine xapian), or documents_unreadable is not empty"},
        "documents": {"type": "integer"}, "paragraphs": {"type": "integer"},
        "documents_unreadable": {"type": "array", "description": "documents whose files could not be read by the "
                                 "last build: each is served from its last good version until its file reads again",
                                 "items": {"type": "object", "required": ["id", "file", "reason"], "properties": {
                                     "id": {"type": "string"}, "file": {"type": "string"},
                                     "reason": {"type": "string"}}}},
        "writes": {"type": "boolean", "description": "whether documents can be added and removed (a token is set)"},
        "index": {"type": "object", "required": ["state", "built_at", "engine"], "properties": {
            "state": {"enum": ["ready", "building"]}, "reason": {"type": "string"},
            "built_at": {"type": "string"}, "engine": {"type": "string"}}},
        "semantic": {"type": "object", "required": ["enabled"], "description": "the semantic re-ranking signal",
                     "properties": {"enabled": {"type": "boolean"}, "reason": {"type": "string"},
                                    "model": {"type": "string"}, "state": {
                                        "enum": ["embedding", "ready", "failed", "partial", "lexical"],
                                        "description": "engine xapian: ready when every shard's paragraphs have "
                                                       "vectors, partial when some do, lexical when none do"},
                                    "done": {"type": "integer", "description": "paragraphs with a vector"},
                                    "total": {"type": "integer"}, "error": {"type": "string"}}},
        "shards": {"type": "array", "description": "engine xapian: each shard's state",
                   "items": {"type": "object", "required": ["address", "state", "since"], "properties": {
                       "address": {"type": "string"}, "state": {"enum": ["up", "down"]},
                       "since": {"type": "number", "description": "Unix time of the last change"},
                       "error": {"type": "string"},
                       "data_error": {"type": "string", "description": "what of its data could not be read (the "
                                      "shard answers 503 naming it until its data changes)"},
                       "vectors": {"type": "object", "required": ["state"], "description": (
                           "semantic on: how many of the shard's paragraphs have a vector; a question whose "
                           "candidates lack one ranks lexically"), "properties": {
                           "state": {"enum": ["complete", "partial", "missing", "unknown"]},
                           "vectors": {"type": "integer"}, "paragraphs": {"type": "integer"}}}}}},
        "took_ms": {"type": "number"}}},
}


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    doc_id = {"name": "document_id", "in": "path", "required": True, "schema": _ID}
    auth: list[dict[str, list[str]]] = [{"bearer": []}]  # OpenAPI security requirement: the bearer token
    return {
        "openapi": "3.1.0",
        "info": {"title": "docqa", "version": "1.0.0",
                 "description": "Question answering over a folder of documents, with exact citations. "
                                "Errors are application/problem+json (RFC 9457)."},
        "paths": {
            "/api/ask": {"post": {
                "summary": "Answer a question (chat); history holds earlier turns", "operationId": "ask",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("AskRequest")}}},
                "responses": {"200": _json(_ref("AskResponse"), "The answer, disagreement and passages"),
                              **_problems(400, 413, 415, 422, 503)}}},
            "/api/search": {"get": {
                "summary": "Passages only", "operationId": "search",
                "parameters": [{"name": "q", "in": "query", "required": True,
                                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS, "pattern": "\\S"}},
                               {"name": "k", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_TOP_K, "default": DEFAULT_TOP_K}},
                               {"name": "documents", "in": "query", "required": False,
                                "description": "comma-separated ids of the documents to search (default: all)",
                                "schema": {"type": "string", "minLength": 1}}],
                "responses": {"200": _json(_ref("SearchResponse"), "Best passages"), **_problems(422, 503)}}},
            "/api/documents": {
                "get": {"summary": "List documents", "operationId": "listDocuments",
                        "responses": {"200": _json(_ref("DocumentList"), "All documents"), **_problems(503)}},
                "post": {"summary": "Add or replace a document (needs the API token)", "operationId": "putDocument",
                         "security": auth,
                         "requestBody": {"required": True, "content": {
                             "application/json": {"schema": _ref("NewDocument")},
                             "multipart/form-data": {"schema": _ref("Upload")}}},
                         "responses": {"200": _json(_ref("WriteResult"), "Replaced"),
                                       "201": _json(_ref("WriteResult"), "Created"),
                                       **_problems(400, 401, 403, 409, 413, 415, 422, 429, 503)}}},
            "/api/documents/{document_id}": {
                "get": {"summary": "One document with its paragraph offsets", "operationId": "getDocument",
                        "parameters": [doc_id],
                        "responses": {"200": _json(_ref("Document"), "The document"), **_problems(404, 503)}},
                "delete": {"summary": "Delete a document (needs the API token)", "operationId": "deleteDocument",
                           "parameters": [doc_id], "security": auth,
                           "responses": {"200": _json(_ref("WriteResult"), "Deleted"),
                                         **_problems(401, 403, 404, 422, 429, 503)}}},
            "/api/health": {"get": {"summary": "Liveness and index facts", "operationId": "health",
                                    "responses": {"200": _json(_ref("Health"), "Serving"), **_problems(503)}}},
            "/api/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                          "responses": {"200": {"description": "OpenAPI 3.1 document",
                                                                "content": {"application/json": {}}}}}},
        },
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "DOCQA_API_TOKEN"}}},
    }
