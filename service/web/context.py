"""The app's shared objects for the request being served (as flaskr's get_db())."""

from __future__ import annotations

from flask import current_app

from index.errors import ServiceUnavailableError

from ..settings import Settings
from .live import LiveIndex

LIVE_INDEX = "docqa.index"
SETTINGS = "docqa.settings"


def live_index() -> LiveIndex:
    """The server's LiveIndex (writes, rebuilds, health)."""
    return current_app.extensions[LIVE_INDEX]


BUILDING_RETRY_SECONDS = 5


def current_index():
    """The index a request answers from: taken once per request, so it never changes under it.
    503 with Retry-After while a server that started without a usable index builds its first one."""
    index = live_index().current
    if index is None:
        raise ServiceUnavailableError("the index is being built; try again in a few seconds",
                                      headers={"Retry-After": str(BUILDING_RETRY_SECONDS)})
    return index


def settings() -> Settings:
    return current_app.extensions[SETTINGS]
