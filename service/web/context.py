"""The app's shared objects for the request being served (as flaskr's get_db())."""

from __future__ import annotations

from flask import current_app

from ..settings import Settings
from .live import LiveIndex

LIVE_INDEX = "docqa.index"
SETTINGS = "docqa.settings"


def live_index() -> LiveIndex:
    """The server's LiveIndex (writes, rebuilds, health)."""
    return current_app.extensions[LIVE_INDEX]


def current_index():
    """The index a request answers from: taken once per request, so it never changes under it."""
    return live_index().current


def settings() -> Settings:
    return current_app.extensions[SETTINGS]
