"""What the `docqa` commands share: the error-to-one-line group, corpus options, settings, progress bars."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from index import Bm25Params, DocqaError, open_index
from index.semantic.vectors import embed_if_installed

from .settings import ENGINE_CHOICES, ENV, SHARDED_ENGINE, Settings, default_instance_path, load_settings


LAB_PACKAGES = ("bm25s", "scipy")  # the comparison engines of `bench` and `eval table` (extra "lab")


class DocqaGroup(click.Group):
    """Turns any DocqaError into one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DocqaError as exc:
            raise click.ClickException(exc.detail) from None
        except ModuleNotFoundError as exc:
            if exc.name not in LAB_PACKAGES:
                raise
            raise click.ClickException(f"this command needs the lab extra ({exc.name} is missing): "
                                       "pip install 'docqa[lab]'") from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


def corpus_options(func):
    func = click.option("--semantic/--no-semantic", default=None,
                        help=f"the semantic re-ranking signal [env {ENV['semantic']}; default on]")(func)
    func = click.option("--engine", type=click.Choice(list(ENGINE_CHOICES)), default=None,
                        help=f"BM25 engine [env {ENV['engine']}; default bm25s; xapian: the shards at "
                             f"{ENV['shards']}]")(func)
    func = click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help=f"index directory [env {ENV['index_dir']}; default instance/index]")(func)
    func = click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help=f"documents folder [env {ENV['corpus']}; default docs_corpus]")(func)
    return func


def settings_from(**overrides) -> Settings:
    return load_settings(default_instance_path(), os.environ, overrides)


def progress_reporter(label: str):
    """A click progress bar on an interactive stderr for large corpora; silent otherwise."""
    state = {}

    def report(done: int, total: int) -> None:
        if total < 20 or not sys.stderr.isatty():  # total counts files
            return
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(done - state["bar"].pos)
        if done == total:
            state["bar"].__exit__(None, None, None)
    return report


def open_settings_index(settings: Settings):
    """The index, built if the corpus changed, with paragraph vectors embedded first when semantic is on;
    with engine xapian, the shards at DOCQA_SHARDS (nothing is built)."""
    if settings.engine == SHARDED_ENGINE:
        from index.shards.client import ShardSet, parse_addresses
        from index.shards.sharded import ShardedIndex

        assert settings.shards is not None  # load_settings requires them with engine xapian
        shards = ShardSet(parse_addresses(settings.shards), settings.shard_timeout, settings.shard_failure)
        from index.semantic import model as semantic

        return ShardedIndex(shards, semantic=settings.semantic and semantic.available()), None
    index, report = open_index(settings.corpus, settings.index_dir, settings.engine, Bm25Params(settings.k1, settings.b),
                               progress=progress_reporter("indexing"), limits=settings.document_limits())
    if settings.semantic:
        embed_if_installed(index, progress_reporter("embedding"))
    return index, report
