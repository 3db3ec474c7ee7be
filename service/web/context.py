"""The app's shared objects for the request being served (as flaskr's get_db())."""

from __future__ import annotations

from flask import current_app

from index.errors import ServiceUnavailableError

from ..settings import Settings
from .live_source import LiveSource

LIVE_INDEX = "docqa.index"
SETTINGS = "docqa.settings"
PARSE_SLOTS = "docqa.parse_slots"


def live_index() -> LiveSource:
    """The server's live index (writes, rebuilds, health): a LiveIndex, or a ShardLiveIndex on shards."""
    return current_app.extensions[LIVE_INDEX]


BUILDING_RETRY_SECONDS = 5


def current_index():
    """The index a request answers from: taken once per request, so it never changes under it.
    503 with Retry-After while a server that started without a usable index builds its first one."""
    index = live_index().current
    if index is None:
        raise ServiceUnavailableError("the index is being built; try again in a few seconds",
                                      headers={"Retry-After": str(BUILDING_RETRY_SECONDS)})
    index.begin_request()  # the sharded engine records which shards this request misses
    return index


def partial_fields(index) -> dict:
    """`"partial": true` and the missing shards when a sharded answer lacks some (DOCQA_SHARD_FAILURE=partial)."""
    missing = index.missing_shards()
    return {"partial": True, "missing_shards": missing} if missing else {}


def settings() -> Settings:
    return current_app.extensions[SETTINGS]


def parse_slots():
    """The server's ParseSlots (PDF and Word uploads parsed at once)."""
    return current_app.extensions[PARSE_SLOTS]
