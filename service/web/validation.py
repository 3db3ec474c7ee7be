"""Explicit request validation: JSON bodies and parameters, no silent coercion."""

from __future__ import annotations

import json
import re

from flask import Request

from index.documents import DOCUMENT_ID
from index.errors import (BadRequestError, DocumentNotFoundError, InvalidInputError, PayloadTooLargeError,
                          UnsupportedMediaTypeError)

from ..qa.answers import DEFAULT_TOP_K, MAX_TOP_K
from ..qa.conversation import MAX_HISTORY_TURNS

MAX_QUESTION_CHARS = 1000
MAX_ANSWER_CHARS = 5000
MAX_CITATIONS = 50
MAX_JSON_DEPTH = 32
MAX_DOCUMENT_FILTER = 1000
SHOWN_IDS, SHOWN_ID_CHARS = 5, 40  # unknown ids a 422 repeats, and how much of each
# The largest valid ask (20 turns of 1,000 + 5,000 characters, all sent as \uXXXX escapes, 50 citations
# each, 1,000 document ids) is under 1 MB; a bigger body is refused by its Content-Length, unread.
MAX_ASK_BODY_BYTES = 2 << 20
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_body(request: Request, max_bytes: int | None = None) -> dict:
    """The request's JSON object; 415 for another content type, 413 over `max_bytes` (by Content-Length,
    before the body is read), 400 for broken JSON or UTF-8, nesting over MAX_JSON_DEPTH or a lone surrogate.

    The body is parsed by the json module's C decoder, which stops nesting at the recursion limit with
    RecursionError, then checked in one pass over the parsed values: memory is the body, its text and
    what it decodes to, nothing more (a regular expression over the body once took 1.2 GB for 9.9 MB)."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaTypeError(f"send Content-Type: application/json (got {request.mimetype or 'none'})")
    if max_bytes is not None and (request.content_length or 0) > max_bytes:
        raise PayloadTooLargeError(f"the request body is {request.content_length:,} bytes; this endpoint takes at "
                                   f"most {max_bytes:,}")
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError("the request body is not valid UTF-8") from None
    try:
        body = json.loads(text)
    except RecursionError:
        raise BadRequestError(f"the request body nests JSON more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:
        raise BadRequestError(f"the request body is not valid JSON: {exc}") from None
    del text
    if not isinstance(body, dict):
        raise InvalidInputError("the request body must be a JSON object")
    _check_values(body)
    return body


def _check_values(body: dict) -> None:
    """400 when arrays and objects nest more than MAX_JSON_DEPTH deep, or a string or key holds a lone
    UTF-16 surrogate (JSON may spell one, \\ud800; no UTF-8 text can hold it). Iterative: no recursion."""
    pending = [(body, 1, "body")]
    while pending:
        value, depth, where = pending.pop()
        if isinstance(value, str):
            _refuse_lone_surrogate(value, where)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise BadRequestError(f"the request body nests JSON more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(value, dict):
            for key, item in value.items():
                _refuse_lone_surrogate(key, where)
                pending.append((item, depth + 1, f"'{key}'" if where == "body" else where))
        else:
            pending.extend((item, depth + 1, where) for item in value)


def _refuse_lone_surrogate(text: str, where: str) -> None:
    if not text.isascii() and _SURROGATE.search(text):
        raise BadRequestError(f"{where} holds a lone surrogate (\\ud800-\\udfff escape); send valid Unicode text")


def question(value, name: str = "question") -> str:
    if value is None:
        raise InvalidInputError(f"'{name}' is required")
    if not isinstance(value, str):
        raise InvalidInputError(f"'{name}' must be a string")
    text = value.strip()
    if not text:
        raise InvalidInputError(f"'{name}' is empty; ask something, e.g. \"how many survivors\"")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidInputError(f"'{name}' is {len(text)} characters; the limit is {MAX_QUESTION_CHARS}")
    return text


def top_k(value, name: str = "top_k", default: int = DEFAULT_TOP_K, from_query: bool = False) -> int:
    """1..MAX_TOP_K; a query-string value may be digits, a JSON value must be an integer (41.0 counts, 2.5 not)."""
    if value is None:
        return default
    if isinstance(value, str) and from_query:
        if not re.fullmatch(r"[0-9]{1,3}", value.strip()):
            raise InvalidInputError(f"'{name}' must be a whole number from 1 to {MAX_TOP_K}, got {value!r}")
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema counts 41.0 as an integer; 2.5 is not
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"'{name}' must be a whole number from 1 to {MAX_TOP_K}, got {value!r}")
    if not 1 <= value <= MAX_TOP_K:
        raise InvalidInputError(f"'{name}' must be from 1 to {MAX_TOP_K}, got {value}")
    return value


def history(value) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_HISTORY_TURNS:
        raise InvalidInputError(f"'history' must be a list of at most {MAX_HISTORY_TURNS} turns")
    turns = []
    for i, turn in enumerate(value):
        if not isinstance(turn, dict) or not isinstance(turn.get("question"), str):
            raise InvalidInputError(f"history[{i}] must be an object with a string 'question'")
        answer = turn.get("answer")
        if answer is not None and not isinstance(answer, str):
            raise InvalidInputError(f"history[{i}].answer must be a string or null")
        if len(turn["question"]) > MAX_QUESTION_CHARS or len(answer or "") > MAX_ANSWER_CHARS:
            raise InvalidInputError(f"history[{i}] is too long")
        turns.append({"question": turn["question"], "answer": answer,
                      "citations": _citations(turn.get("citations"), f"history[{i}].citations")})
    return turns


def _citations(value, where: str) -> list[dict]:
    """[{"document": id, "paragraph": n}, ...] as the client was shown them; optional."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_CITATIONS:
        raise InvalidInputError(f"{where} must be a list of at most {MAX_CITATIONS} citations")
    out = []
    for j, c in enumerate(value):
        if (not isinstance(c, dict) or not isinstance(c.get("document"), str) or not DOCUMENT_ID.fullmatch(c["document"])
                or not isinstance(c.get("paragraph"), int) or isinstance(c["paragraph"], bool) or c["paragraph"] < 1):
            raise InvalidInputError(f"{where}[{j}] must be {{\"document\": <id>, \"paragraph\": <number from 1>}}")
        out.append({"document": c["document"], "paragraph": c["paragraph"]})
    return out


def document_id(value) -> str:
    if not isinstance(value, str) or not DOCUMENT_ID.fullmatch(value):
        raise InvalidInputError("a document id is 1-100 characters of a-z, 0-9, '.', '_' or '-', "
                                "starting with a letter or digit")
    return value


def document_in_url(value: str) -> str:
    """A document id taken from a URL: anything that is not a slug cannot name a document (404)."""
    if not DOCUMENT_ID.fullmatch(value):
        raise DocumentNotFoundError(f"no document with id {value!r}")
    return value


def documents_filter(value, index, name: str = "documents", from_query: bool = False) -> frozenset[str] | None:
    """The documents a question is limited to: null/absent for all, else a non-empty list of ids
    the index holds (a JSON list, or comma-separated in a query string)."""
    if value is None:
        return None
    if from_query and isinstance(value, str):
        value = [v for v in value.split(",") if v]
    if not isinstance(value, list) or not value or len(value) > MAX_DOCUMENT_FILTER \
            or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(f"'{name}' must be a non-empty list of at most {MAX_DOCUMENT_FILTER} document ids")
    known = {d.id for d in index.documents}
    unknown = [v for v in value if v not in known]
    if unknown:  # a few, each cut short: the reply never grows with what the client sent
        shown = [repr(v if len(v) <= SHOWN_ID_CHARS else v[:SHOWN_ID_CHARS] + "…") for v in unknown[:SHOWN_IDS]]
        raise InvalidInputError(f"'{name}' names {len(unknown)} document(s) the index does not hold: "
                                + ", ".join(shown) + (", …" if len(unknown) > SHOWN_IDS else ""))
    return frozenset(value)
