"""docqa's web app: the Flask app factory (everything Flask lives in this package)."""

from __future__ import annotations

import os

from flask import Flask
from flask.json.provider import DefaultJSONProvider


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from defaults -> DOCQA_* environment -> test_config, index loaded once."""
    from index.rerank import model as rerank_model
    from index.rerank import ranking

    from ..qa.answer_sentence import model as sentence_model
    from ..qa.conversation import focus_weights
    from ..qa.parameters import parameters
    from ..qa.topic import model as continuation_model
    from ..settings import SHARDED_ENGINE, load_settings
    from . import api, auth, middleware, pages, problems, writes
    from .context import LIVE_INDEX, PARSE_SLOTS, SETTINGS
    from .live import LiveIndex
    from .live_source import LiveSource
    from .parse_slots import ParseSlots

    app = Flask(__name__, instance_relative_config=True)
    config = dict(test_config or {})
    watch = config.pop("watch", False)
    serve_at_once = config.pop("serve_at_once", False)  # `docqa serve`: listen before the index is current
    settings = load_settings(app.instance_path, os.environ, config)
    # Never debug mode (Flask would take it from FLASK_DEBUG): errors stay problem+json, never a debugger.
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, DEBUG=False, PROPAGATE_EXCEPTIONS=False)
    app.debug = False
    if settings.proxy_hops:  # behind reverse proxies: the client is the address the nearest one saw
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap WSGI middleware
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=0, x_host=0, x_port=0, x_prefix=0)
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own provider, whose options these are
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    for load in (ranking, rerank_model, sentence_model, focus_weights, parameters, continuation_model):
        load()  # a bad model file fails here, at start-up, not on the first question
    app.extensions[SETTINGS] = settings
    app.extensions[PARSE_SLOTS] = ParseSlots(settings.parse_workers, settings.threads)
    live: LiveSource
    if settings.engine == SHARDED_ENGINE:
        from .shard_live import ShardLiveIndex

        live = ShardLiveIndex(settings)
    else:
        live = LiveIndex(settings, serve_at_once)
    app.extensions[LIVE_INDEX] = live
    if watch:
        live.watch()
    auth.init_app(app)
    middleware.init_app(app)
    problems.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(writes.bp)
    app.register_blueprint(pages.bp)
    return app
