"""The `docqa` command: index, ask, serve, eval and bench."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

import click

from index import ENGINES, Bm25Params, DocqaError, open_index
from index.store import build_index

from .qa.answers import DEFAULT_TOP_K, MAX_TOP_K
from .logs import configure as configure_logging
from .settings import ENV, Settings, default_instance_path, load_settings


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
    func = click.option("--engine", type=click.Choice(list(ENGINES)), default=None,
                        help=f"BM25 engine [env {ENV['engine']}; default bm25s]")(func)
    func = click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help=f"index directory [env {ENV['index_dir']}; default instance/index]")(func)
    func = click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help=f"documents folder [env {ENV['corpus']}; default docs_corpus]")(func)
    return func


def settings_from(**overrides) -> Settings:
    return load_settings(default_instance_path(), os.environ, overrides)


def _progress_reporter(label: str):
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
    return open_index(settings.corpus, settings.index_dir, settings.engine, Bm25Params(settings.k1, settings.b),
                      progress=_progress_reporter("indexing"))


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
def index_command(corpus, index_dir, engine, parent_pid) -> None:
    """Build or refresh the index of the documents folder."""
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    s = settings_from(corpus=corpus, index_dir=index_dir, engine=engine)
    report = build_index(s.corpus, s.index_dir, s.engine, Bm25Params(s.k1, s.b),
                         progress=_progress_reporter("indexing"))
    click.echo(f"indexed {report.documents} documents, {report.paragraphs} paragraphs "
               f"({report.analysed} analysed, {report.reused} unchanged) in {report.seconds:.2f} s "
               f"-> {s.index_dir}")


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
def ask_command(question, top_k, as_json, corpus, index_dir, engine) -> None:
    """Answer QUESTION from the documents, with citations."""
    from .qa.answers import answer_question
    from .qa.responses import ask_json

    if not question.strip():
        raise click.ClickException("the question is empty; ask something, e.g. docqa ask \"how many survivors\"")
    s = settings_from(corpus=corpus, index_dir=index_dir, engine=engine)
    index, _ = open_settings_index(s)
    started = time.perf_counter()
    result = answer_question(index, question, top_k=top_k, threshold=s.answer_threshold)
    if as_json:  # exactly the body POST /api/ask returns
        payload = {**ask_json(result, index), "took_ms": round((time.perf_counter() - started) * 1000, 2)}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    _print_result(result)


def _emphasise(text: str, spans, style) -> str:
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out += [text[pos:start], click.style(text[start:end], **style)]
        pos = end
    return "".join(out) + text[pos:]


def _print_result(result) -> None:
    answer = result.answer
    if answer is None:
        click.echo("The documents don't answer this. Nearest passages:" if result.passages
                   else "Nothing in the documents matches this question.")
    else:
        span = [(answer.highlight[0], answer.highlight[1])] if answer.highlight else []
        click.echo(_emphasise(answer.text, span, {"bold": True, "underline": True}) + f"  [{answer.passage + 1}]")
        for note in result.disagreement_notes():
            click.echo(click.style("Sources disagree: ", fg="yellow") + note)
    click.echo(click.style(f"(searched: {result.query})", dim=True))
    for n, p in enumerate(result.passages, 1):
        hit = p.hit
        click.echo("")
        click.echo(click.style(f"[{n}] {hit.paragraph.document_id} ¶{hit.paragraph.number}", bold=True)
                   + f"  score {hit.score:.2f}  chars {hit.paragraph.start}-{hit.paragraph.end}")
        click.echo("    " + _emphasise(hit.paragraph.text, p.highlights, {"bold": True}))


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="port (0: any free)")
@click.option("--threads", type=click.IntRange(1, 64), default=None, help=f"waitress threads [env {ENV['threads']}; default 4]")
@click.option("--watch/--no-watch", default=True, show_default=True,
              help=f"pick up files changed in the corpus folder (every {ENV['poll_seconds']} seconds)")
@corpus_options
def serve_command(host, port, threads, watch, corpus, index_dir, engine) -> None:
    """Serve the chat page and the JSON API with waitress (answers from the last index while one builds)."""
    from .serve import serve

    logging.getLogger().setLevel(logging.INFO)
    serve(host, port, {"corpus": corpus, "index_dir": index_dir, "engine": engine, "threads": threads,
                       "watch": watch})


@main.group("eval")
def eval_group() -> None:
    """Measure answer and retrieval quality on public benchmarks."""


def _report(figures: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(figures))
    else:
        for key, value in figures.items():
            click.echo(f"{key:>24}  {value}")


@eval_group.command("squad")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print one JSON line (last line of stdout)")
@click.option("--subset", type=click.Choice(["all", "even", "odd"]), default="all", show_default=True,
              help="questions of all articles, or only even/odd-numbered ones (tune on even)")
@click.option("--limit", type=click.IntRange(1), default=None, help="ask only the first N questions")
@click.option("--k1", type=float, default=1.2, show_default=True)
@click.option("--b", type=float, default=0.75, show_default=True)
def eval_squad_command(file, as_json, subset, limit, k1, b) -> None:
    """SQuAD v1.1 FILE: top1/top5/top20/MRR of the gold paragraph, answer sentence, how-many span."""
    from .lab.evaluation import evaluate_squad

    _report(evaluate_squad(file, Bm25Params(k1, b), subset, limit, progress=_progress_reporter("asking")), as_json)


@eval_group.command("beir")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print one JSON line (last line of stdout)")
@click.option("--split", default="test", show_default=True, help="qrels/<split>.tsv")
@click.option("--k1", type=float, default=1.2, show_default=True)
@click.option("--b", type=float, default=0.75, show_default=True)
def eval_beir_command(directory, as_json, split, k1, b) -> None:
    """BEIR folder DIRECTORY (corpus.jsonl, queries.jsonl, qrels/): nDCG@10, recall@100, MRR@10."""
    from .lab.evaluation import evaluate_beir

    _report(evaluate_beir(directory, split, Bm25Params(k1, b), progress=_progress_reporter("querying")), as_json)


@main.command("bench")
@click.option("--paragraphs", type=click.IntRange(100), default=100_000, show_default=True)
@click.option("--queries", type=click.IntRange(10), default=1000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="generated corpus and queries")
@click.option("--http/--no-http", "with_http", default=False, show_default=True,
              help="also measure a real `docqa serve` (/api/search p50, req/s with 8 clients, server RSS)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON line (last line of stdout)")
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="folder whose word frequencies shape the generated text [default docs_corpus]")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where generated corpora and bench indexes are kept [default the instance folder]")
def bench_command(paragraphs, queries, seed, with_http, as_json, corpus, cache_dir) -> None:
    """Speed and memory on a generated corpus: index build, load, engine vs bm25s vs rank-bm25."""
    from .lab.bench import cached_corpus, generate_queries, run_bench, run_http, seed_texts_from

    s = settings_from(corpus=corpus)
    instance = cache_dir or default_instance_path()
    texts = seed_texts_from(s.corpus)
    say = (lambda m: click.echo(m, err=True))
    figures = run_bench(instance, paragraphs, queries, seed, texts, log=say)
    if with_http:
        say("HTTP: a real docqa serve on 127.0.0.1")
        figures.update(run_http(str(Path(sys.executable).parent / "docqa"), cached_corpus(instance, paragraphs, seed, texts),
                                instance / "bench" / f"index-{paragraphs}-{seed}", generate_queries(queries, seed, texts)))
    _report(figures, as_json)


@eval_group.command("fit-ranking")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="model file to write [default: the package's index/models/rerank-v1.json]")
def eval_fit_ranking_command(file, out) -> None:
    """Fit the re-ranking model on the even articles of SQuAD v1.1 FILE and write its model file.

    Run it before fit-answers: the answer model reads the passages' re-ranked scores."""
    from index import rerank
    from index.linear_model import model_path

    from .lab.fitting import fit_ranking_model

    out = out or model_path("index", rerank.MODEL_FILE)
    _print_weights(out, fit_ranking_model(file, out, progress=_progress_reporter("collecting")))


@eval_group.command("fit-answers")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="model file to write [default: the package's service/qa/models/sentence-v1.json]")
def eval_fit_answers_command(file, out) -> None:
    """Fit the answer-sentence model on the even articles of SQuAD v1.1 FILE and write its model file."""
    from index.linear_model import model_path

    from .lab.fitting import fit_sentence_model
    from .qa import answer_sentence

    out = out or model_path("service.qa", answer_sentence.MODEL_FILE)
    _print_weights(out, fit_sentence_model(file, out, progress=_progress_reporter("collecting")))


def _print_weights(out: Path, weights: dict[str, float]) -> None:
    """One line per feature, then where the model file was written (review it with git diff)."""
    for feature, weight in weights.items():
        click.echo(f"{feature:>24}  {weight}")
    click.echo(f"wrote {out}")


@eval_group.command("table")
@click.argument("squad_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("beir_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="also print the rows as one JSON line (last line)")
def eval_table_command(squad_file, beir_dir, as_json) -> None:
    """The EVALUATION.md table: baselines and each ranking step on SQuAD and BEIR, in one run."""
    from .lab.ablation import evaluation_table, markdown

    rows = evaluation_table(squad_file, beir_dir, log=lambda m: click.echo(f"measuring: {m}", err=True))
    click.echo(markdown(rows))
    if as_json:
        click.echo(json.dumps({name: figures for name, figures in rows}))
