"""Every error as application/problem+json (RFC 9457), or for a browser asking for a page (not
/api/) an HTML page saying the same; never a traceback."""

from __future__ import annotations

import logging
import re

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from index.errors import DocqaError

log = logging.getLogger(__name__)


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name.removesuffix("Error")).lower()


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extensions):
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extensions}
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _as_page(response):
    """The problem as an HTML page when a browser asked for a page; the problem+json otherwise."""
    if request.path.startswith(("/api/", "/static/")) or "text/html" not in request.headers.get("Accept", ""):
        return response
    body = response.get_json()
    page = render_template("error.html", problem=body)
    return page, response.status_code, {k: v for k, v in response.headers.items()
                                        if k in ("Retry-After", "WWW-Authenticate", "Allow")}


def init_app(app: Flask) -> None:
    @app.errorhandler(DocqaError)
    def docqa_error(exc: DocqaError):
        if exc.status >= 500:
            log.error("request %s failed: %s", g.get("request_id"), exc.detail)
        response = problem(exc.status, exc.title, exc.detail, f"urn:docqa:problem:{_slug(type(exc).__name__)}")
        response.headers.update(exc.headers)
        return _as_page(response)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        detail = {404: "No such resource; see /api/openapi.json for the endpoints.",
                  405: "This method is not allowed here; see /api/openapi.json.",
                  413: "The request body is larger than this server accepts (DOCQA_MAX_BODY_BYTES)."}
        code = exc.code or 500
        response = problem(code, exc.name, detail.get(code, exc.description or exc.name))
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return _as_page(response)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("request %s failed with an unexpected error", g.get("request_id"))
        return problem(500, "Internal Server Error",
                       f"Something went wrong on the server; quote request id {g.get('request_id')} when reporting it.")
