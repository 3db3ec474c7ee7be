"""`docqa eval` and `docqa bench`: the lab's commands (service.lab is imported only when they run)."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from index import Bm25Params

from .cli_options import progress_reporter, settings_from
from .settings import default_instance_path


JSON_LINE = click.option("--json", "as_json", is_flag=True, help="print one JSON line (last line of stdout)")


SEMANTIC_OPTION = click.option("--semantic/--no-semantic", default=True, show_default=True,
                               help="embed the paragraphs and re-rank with the semantic signal")
ENGINE_OPTION = click.option("--engine", type=click.Choice(["embedded", "xapian"]), default="embedded",
                             show_default=True, help="xapian: through --shards local xapian-tcpsrv shards of the "
                                                     "same index (docs/SCALING.md)")
SHARDS_OPTION = click.option("--shards", type=click.IntRange(1, 64), default=3, show_default=True,
                             help="how many shards (the sharded engine)")


def subset_option(what: str):
    return click.option("--subset", type=click.Choice(["all", "even", "odd"]), default="all", show_default=True,
                        help=f"{what} of all articles, or only even/odd-numbered ones (tune on even)")


@click.group("eval")
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
@JSON_LINE
@subset_option("questions")
@click.option("--limit", type=click.IntRange(1), default=None, help="ask only the first N questions")
@click.option("--k1", type=float, default=1.2, show_default=True)
@click.option("--b", type=float, default=0.75, show_default=True)
@SEMANTIC_OPTION
@ENGINE_OPTION
@SHARDS_OPTION
def eval_squad_command(file, as_json, subset, limit, k1, b, semantic, engine, shards) -> None:
    """SQuAD v1.1 FILE: top1/top5/top20/MRR of the gold paragraph, answer sentence, how-many span."""
    from .lab.evaluation import evaluate_squad

    _report(evaluate_squad(file, Bm25Params(k1, b), subset, limit, progress=progress_reporter("asking"),
                           semantic=semantic, embedding=progress_reporter("embedding"),
                           shards=shards if engine == "xapian" else 0), as_json)


@eval_group.command("shards")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@JSON_LINE
@SHARDS_OPTION
@click.option("--limit", type=click.IntRange(1), default=None, help="ask only the first N questions")
@SEMANTIC_OPTION
def eval_shards_command(file, as_json, shards, limit, semantic) -> None:
    """SQuAD v1.1 FILE: first-stage candidates from local Xapian shards against the embedded engine, then
    the ranked hits (with semantic on, both re-ranked with the same vectors: the shards' travel with them)."""
    from .lab.shard_eval import evaluate_shard_agreement

    _report(evaluate_shard_agreement(file, shards, limit, progress=progress_reporter("asking"),
                                     semantic=semantic, embedding=progress_reporter("embedding")), as_json)


@eval_group.command("beir")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@JSON_LINE
@click.option("--split", default="test", show_default=True, help="qrels/<split>.tsv")
@click.option("--k1", type=float, default=1.2, show_default=True)
@click.option("--b", type=float, default=0.75, show_default=True)
@SEMANTIC_OPTION
def eval_beir_command(directory, as_json, split, k1, b, semantic) -> None:
    """BEIR folder DIRECTORY (corpus.jsonl, queries.jsonl, qrels/): nDCG@10, recall@100, MRR@10."""
    from .lab.evaluation import evaluate_beir

    _report(evaluate_beir(directory, split, Bm25Params(k1, b), progress=progress_reporter("querying"),
                          semantic=semantic, embedding=progress_reporter("embedding")), as_json)


@eval_group.command("conversation")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@JSON_LINE
@subset_option("for a SQuAD file: conversations")
@click.option("--limit", type=click.IntRange(1), default=None, help="only the first N conversations")
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="documents folder for a conversation file without documents [default: the serving corpus]")
@SEMANTIC_OPTION
def eval_conversation_command(file, as_json, subset, limit, corpus, semantic) -> None:
    """Conversations in FILE (docqa-conversations-v1, or SQuAD v1.1 made into conversations): answer
    sentence and passage 1 for first and later turns, with and without history. The hand-written set over
    the seed articles: service/lab/data/seed-conversations.json."""
    from .lab.conversations import evaluate_conversations

    corpus = corpus or settings_from().corpus
    _report(evaluate_conversations(file, subset, limit, corpus, progress=progress_reporter("conversing"),
                                   semantic=semantic, embedding=progress_reporter("embedding")), as_json)


@eval_group.command("topic-shift")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@JSON_LINE
@click.option("--subset", type=click.Choice(["all", "even", "odd"]), default="even", show_default=True,
              help="conversations of all articles, or only even/odd-numbered ones (tune on even)")
@click.option("--limit", type=click.IntRange(1), default=None, help="only the first N conversations")
@SEMANTIC_OPTION
def eval_topic_shift_command(file, as_json, subset, limit, semantic) -> None:
    """SQuAD v1.1 FILE made into conversations of three turns about one paragraph, then another article's
    first question: is that question answered as if asked alone, and its paragraph found as often?"""
    from .lab.conversations import evaluate_topic_shift

    _report(evaluate_topic_shift(file, subset, limit, progress=progress_reporter("conversations"), semantic=semantic,
                                 embedding=progress_reporter("embedding")), as_json)


@eval_group.command("trust")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@JSON_LINE
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="the seed articles' folder, for the questions over them [default: the serving corpus]")
@SEMANTIC_OPTION
def eval_trust_command(file, as_json, corpus, semantic) -> None:
    """Figure and speech questions in FILE (docqa-trust-v1; service/lab/data/figures-and-speech.json):
    disagreements of the question's own measure only, complete, revised figures marked; the answer to
    "What did X say?" spoken by X."""
    from .lab.trust import evaluate_trust

    _report(evaluate_trust(file, corpus or settings_from().corpus, semantic), as_json)


@eval_group.command("doc2dial")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@JSON_LINE
@click.option("--limit", type=click.IntRange(1), default=None, help="only the first N dialogues")
@SEMANTIC_OPTION
def eval_doc2dial_command(directory, as_json, limit, semantic) -> None:
    """doc2dial DIRECTORY (documents.jsonl, turns.jsonl): each dialogue's user turns in order over the 273
    documents; right document at passage 1 and in the top 5, grounding span in the top 5, answer sentence
    on the span; first vs later turns, with and without history."""
    from .lab.doc2dial import evaluate_doc2dial

    _report(evaluate_doc2dial(directory, limit, progress=progress_reporter("dialogues"), semantic=semantic,
                              embedding=progress_reporter("embedding")), as_json)


@eval_group.command("canard")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@JSON_LINE
@click.option("--limit", type=click.IntRange(1), default=None, help="only the first N conversations")
def eval_canard_command(file, as_json, limit) -> None:
    """CANARD FILE (dev.json): how follow-ups are read. Of the content words a human rewrite adds to each
    question, how many `read_as` adds too (recall), and how many it adds that the rewrite has (precision)."""
    from .lab.canard import evaluate_canard

    _report(evaluate_canard(file, limit, progress=progress_reporter("conversations")), as_json)


@click.command("bench")
@click.option("--paragraphs", type=click.IntRange(100), default=100_000, show_default=True)
@click.option("--queries", type=click.IntRange(10), default=1000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="generated corpus and queries")
@click.option("--http/--no-http", "with_http", default=False, show_default=True,
              help="also measure a real `docqa serve` (/api/search p50, req/s with 8 clients, server RSS)")
@JSON_LINE
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="folder whose word frequencies shape the generated text [default docs_corpus]")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where generated corpora and bench indexes are kept [default the instance folder]")
@SEMANTIC_OPTION
@click.option("--embed-sample", type=click.IntRange(1), default=1000, show_default=True,
              help="paragraphs embedded to measure the embedding throughput")
@ENGINE_OPTION
@SHARDS_OPTION
def bench_command(paragraphs, queries, seed, with_http, as_json, corpus, cache_dir, semantic, embed_sample,
                  engine, shards) -> None:
    """Speed and memory on a generated corpus: index build, load, engine vs bm25s vs rank-bm25."""
    from .lab.bench import cached_corpus, generate_queries, run_bench, seed_texts_from
    from .lab.bench_http import run_http

    s = settings_from(corpus=corpus)
    instance = cache_dir or default_instance_path()
    texts = seed_texts_from(s.corpus)
    def say(message: str) -> None:
        click.echo(message, err=True)
    figures = run_bench(instance, paragraphs, queries, seed, texts, with_semantic=semantic,
                        embed_sample=embed_sample, log=say)
    if with_http:
        serve = functools.partial(run_http, str(Path(sys.executable).parent / "docqa"),
                                  cached_corpus(instance, paragraphs, seed, texts),
                                  instance / "bench" / f"index-{paragraphs}-{seed}", generate_queries(queries, seed, texts))
        say("HTTP: a real docqa serve on 127.0.0.1, lexical")
        figures.update(serve(env={"DOCQA_SEMANTIC": "0"}))
        if semantic:
            say("HTTP: the same with the semantic signal")
            figures.update({"semantic_" + k: v for k, v in serve(env={"DOCQA_SEMANTIC": "1"}).items()})
    if engine == "xapian":
        from .lab.bench_shards import run_shard_bench

        figures.update(run_shard_bench(instance, paragraphs, seed, shards, generate_queries(queries, seed, texts),
                                       (lambda env: serve(env=env)) if with_http else None, semantic, log=say))
    _report(figures, as_json)


@eval_group.command("fit-ranking")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="model file to write [default: the package's index/models/rerank-v1.json, or semantic-v1.json]")
@click.option("--semantic", is_flag=True, help="embed the paragraphs and fit the semantic features too")
def eval_fit_ranking_command(file, out, semantic) -> None:
    """Fit the re-ranking model on the even articles of SQuAD v1.1 FILE and write its model file.

    Run it before fit-answers: the answer model reads the passages' re-ranked scores."""
    from index import rerank
    from index.linear_model import model_path

    from .lab.fitting import fit_ranking_model

    out = out or model_path("index", rerank.SEMANTIC_MODEL_FILE if semantic else rerank.MODEL_FILE)
    _print_weights(out, fit_ranking_model(file, out, progress=progress_reporter("collecting"), semantic=semantic))


@eval_group.command("fit-answers")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="model file to write [default: the package's service/qa/models/sentence-v2.json]")
def eval_fit_answers_command(file, out) -> None:
    """Fit the answer-sentence model on the even articles of SQuAD v1.1 FILE and write its model file."""
    from index.linear_model import model_path

    from .lab.fitting import fit_sentence_model
    from .qa import answer_sentence

    out = out or model_path("service.qa", answer_sentence.MODEL_FILE)
    _print_weights(out, fit_sentence_model(file, out, progress=progress_reporter("collecting")))


def _print_weights(out: Path, weights: dict[str, float]) -> None:
    """One line per feature, then where the model file was written (review it with git diff)."""
    for feature, weight in weights.items():
        click.echo(f"{feature:>24}  {weight}")
    click.echo(f"wrote {out}")


@eval_group.command("fit-conversation")
@click.argument("doc2dial", type=click.Path(file_okay=False, path_type=Path))
@click.argument("squad_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="model file to write [default: the package's service/qa/models/continuation-v1.json]")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where the two indexes are built (default: a temporary folder)")
def eval_fit_conversation_command(doc2dial, squad_file, out, work_dir) -> None:
    """Fit when a question that names its own subject keeps the conversation's document: on the even
    dialogues of DOC2DIAL (they stay on their document) and SQuAD_FILE's even articles made into
    conversations with a topic shift (the shifted question must be answered as if asked alone)."""
    from .lab.fit_conversation import fit_conversation_model

    result = fit_conversation_model(doc2dial, squad_file, out, work_dir, progress=progress_reporter("dialogues"))
    click.echo(json.dumps(result, indent=1))


@eval_group.command("fit-thread")
@click.argument("squad_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("doc2dial", type=click.Path(file_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(1), default=250, show_default=True,
              help="SQuAD conversations (even articles) each grid point is run on")
def eval_fit_thread_command(squad_file, doc2dial, limit) -> None:
    """Fit the thread prior (service/qa/models/conversation-v2.json): its shape from where consecutive
    gold answers stand in SQuAD_FILE's even articles and DOC2DIAL's even dialogues, its scale by the later
    turns' answer sentence on SQuAD conversations."""
    from .lab.fit_thread import fit_thread

    click.echo(json.dumps(fit_thread(squad_file, doc2dial, limit, progress_reporter("conversing")), indent=1))


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
