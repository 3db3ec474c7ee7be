"""`docqa chat`: a conversation in the terminal (follow-ups keep the thread), and how answers are printed."""

from __future__ import annotations

import json
import sys
import time

import click

from index.documents import pages_of
from index.errors import EmptyQueryError

from .cli_options import corpus_options, open_settings_index, settings_from
from .qa.answers import DEFAULT_TOP_K, MAX_TOP_K
from .qa.conversation import MAX_HISTORY_TURNS

COMMANDS = "/new starts a new conversation, /quit (or Ctrl-D) ends"


@click.command("chat")
@click.option("-k", "--top-k", type=click.IntRange(1, MAX_TOP_K), default=DEFAULT_TOP_K, show_default=True,
              help="passages to show")
@click.option("--json", "as_json", is_flag=True,
              help="read questions from stdin and print one API response per line (JSON Lines)")
@corpus_options
def chat_command(top_k, as_json, corpus, index_dir, engine, semantic) -> None:
    """Ask questions one after another; follow-ups ("what did she say?", "why?") use the conversation so far."""
    from .qa.answers import answer_question
    from .qa.responses import ask_json, history_item

    s = settings_from(corpus=corpus, index_dir=index_dir, engine=engine, semantic=semantic)
    index, _ = open_settings_index(s)
    interactive = not as_json and sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401  (arrow keys and history for input())

        click.echo(f"Ask about the {len(index.documents)} documents in {s.corpus}. {COMMANDS}.")
    history: list[dict] = []
    for line in _questions(interactive):
        question = line.strip()
        if question in ("/quit", "/exit"):
            break
        if question == "/new":
            history.clear()
            if not as_json:
                click.echo("(new conversation)")
            continue
        if not question:
            continue
        started = time.perf_counter()
        try:
            result = answer_question(index, question, top_k=top_k, history=history[-MAX_HISTORY_TURNS:],
                                     threshold=s.answer_threshold)
        except EmptyQueryError as exc:  # nothing searchable in a first question
            if as_json:
                click.echo(json.dumps({"question": question, "error": str(exc)}, ensure_ascii=False))
            else:
                click.echo(f"error: {exc}", err=True)
            continue
        history.append(history_item(result))
        if as_json:
            payload = {**ask_json(result, index), "took_ms": round((time.perf_counter() - started) * 1000, 2)}
            click.echo(json.dumps(payload, ensure_ascii=False))
        else:
            print_result(result, index)
            click.echo("")


def _questions(interactive: bool):
    while True:
        try:
            line = input("? ") if interactive else sys.stdin.readline()
        except EOFError:
            return
        if not interactive and not line:
            return
        yield line


def _emphasise(text: str, spans, style, inserts=()) -> str:
    """`text` with `spans` styled and each (offset, note) of `inserts` placed at its offset."""
    cuts = sorted([(start, 0, end) for start, end in spans] + [(at, 1, note) for at, note in inserts])
    out, pos = [], 0
    for at, is_note, what in cuts:
        if at < pos:
            continue
        out.append(text[pos:at])
        if is_note:
            out.append(click.style(what, dim=True))
            pos = at
        else:
            out.append(click.style(text[at:what], **style))
            pos = what
    return "".join(out) + text[pos:]


def print_result(result, index) -> None:
    answer = result.answer
    if result.read_as != result.question.strip():  # how a follow-up was understood
        click.echo(click.style(f"Read as: {result.read_as}", dim=True))
    if answer is None:
        click.echo(result.message or ("The documents don't answer this. Nearest passages:" if result.passages
                                      else "Nothing in the documents matches this question."))
    else:
        span = [(answer.highlight[0], answer.highlight[1])] if answer.highlight else []
        who = [(r["end"], f" [{r['refers_to']}]") for r in answer.resolved]  # He [Boris Johnson] said ...
        named = answer.text + "".join(note for _, note in who)
        speaker = f"{answer.speaker['name']}: " if answer.speaker and answer.speaker["name"] not in named else ""
        click.echo(speaker + _emphasise(answer.text, span, {"bold": True, "underline": True}, who)
                   + f"  [{answer.passage + 1}]")
        for note in result.disagreement_notes():
            click.echo(click.style("Sources disagree: ", fg="yellow") + note)
    click.echo(click.style(f"(searched: {result.query})", dim=True))
    for n, p in enumerate(result.passages, 1):
        hit = p.hit
        click.echo("")
        pages = pages_of(index.info(hit.paragraph.document_id).pages, hit.paragraph.start, hit.paragraph.end)
        page = f" p. {'–'.join(map(str, pages))}" if pages else ""
        click.echo(click.style(f"[{n}] {hit.paragraph.document_id} ¶{hit.paragraph.number}{page}", bold=True)
                   + f"  score {hit.score:.2f}  chars {hit.paragraph.start}-{hit.paragraph.end}")
        click.echo("    " + _emphasise(hit.paragraph.text, p.highlights, {"bold": True}))
