"""The one exception hierarchy of docqa; each class carries the HTTP status and title it maps to.

    DocqaError                      500  base; never raised directly
    ├── InvalidInputError           422  a value is well-formed but not acceptable
    │   └── EmptyQueryError         422  the question has no searchable words after analysis
    ├── BadRequestError             400  the request cannot be parsed (broken JSON, bad encoding)
    ├── UnauthorizedError           401  missing or wrong API token
    ├── ForbiddenError              403  writes are disabled (no token configured)
    ├── DocumentNotFoundError       404  no document with that id
    ├── ServiceUnavailableError     503  the first index is being built
    │   └── ShardUnavailableError   503  a Xapian shard did not answer in time (DOCQA_SHARD_FAILURE=error)
    ├── PayloadTooLargeError        413  request body over the configured limit
    │   └── DocumentTooLargeError   413  a document's text or paragraphs over DOCQA_MAX_DOCUMENT_*
    ├── UnsupportedMediaTypeError   415  wrong content type or undecodable upload
    ├── CorpusError                 500  the corpus folder is missing or unreadable
    ├── ModelFileError              500  a fitted model file is missing or does not match the code
    └── IndexCorruptError           500  an index on disk failed validation (callers rebuild it)
"""

from __future__ import annotations


class DocqaError(Exception):
    """Base class: a message for people plus the HTTP status and title it maps to."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}  # e.g. Retry-After, WWW-Authenticate


class InvalidInputError(DocqaError):
    status = 422
    title = "Invalid input"


class EmptyQueryError(InvalidInputError):
    title = "Question has no searchable words"


class UnreadableDocumentError(InvalidInputError):
    """A PDF or Word file that cannot be indexed: encrypted, no text layer, damaged, too costly to parse."""
    title = "Document cannot be read"


class BadRequestError(DocqaError):
    status = 400
    title = "Bad request"


class UnauthorizedError(DocqaError):
    status = 401
    title = "Unauthorized"


class ForbiddenError(DocqaError):
    status = 403
    title = "Forbidden"


class DocumentNotFoundError(DocqaError):
    status = 404
    title = "Document not found"


class ConflictError(DocqaError):
    status = 409
    title = "Conflict"


class TooManyRequestsError(DocqaError):
    status = 429
    title = "Too many requests"


class ServiceUnavailableError(DocqaError):
    status = 503
    title = "Service unavailable"


class ShardUnavailableError(ServiceUnavailableError):
    """A Xapian shard is down or hung and the server is set to fail rather than answer in part."""
    title = "Shard unavailable"


class PayloadTooLargeError(DocqaError):
    status = 413
    title = "Payload too large"


class DocumentTooLargeError(PayloadTooLargeError):
    """A document whose extracted text or paragraph count is over the configured per-document limit."""
    title = "Document too large"


class UnsupportedMediaTypeError(DocqaError):
    status = 415
    title = "Unsupported media type"


class CorpusError(DocqaError):
    status = 500
    title = "Corpus unavailable"


class ModelFileError(DocqaError):
    status = 500
    title = "Model file invalid"


class IndexCorruptError(DocqaError):
    status = 500
    title = "Index corrupt"
