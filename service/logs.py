"""Log set-up for the command line: one record, one line, whatever a file name or URL holds."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ESCAPES = {i: f"\\x{i:02x}" for i in [*range(0x20), 0x7f]} | {0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t"} | {
    i: f"\\u{i:04x}" for i in (0x85, 0x2028, 0x2029)}  # line breaks to some log readers


class OneLineFormatter(logging.Formatter):
    """Escapes control characters in the message, so a newline in a document's name cannot forge a
    log line; a traceback (formatted separately) keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = record.message.translate(_ESCAPES)
        return super().formatMessage(record)


def configure(level: int) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
