"""doc2dial: goal-oriented dialogues over 273 government help pages, each user turn asked in order.

The 273 documents are one corpus. Each dialogue's user turns are asked in order, with the history the
chat page would send: the earlier user turns as questions, the agent's real replies where the page sends
our answers, and the citations of our own answers to those turns. Judged against the turn's grounding
span (character offsets in its document): is its document first, in the top 5; does a top-5 passage
hold the span; does the answer sentence overlap it. First turns and later turns apart, with and without
history. Data: ../shared/eval/doc2dial (see its SOURCES.md); nothing is copied into the repository.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Callable

from index import build_index, load_index
from index.errors import EmptyQueryError, InvalidInputError

from ..qa.answers import answer_question
from ..qa.responses import history_item
from .evaluation import with_semantic

PAGE_HISTORY_TURNS = 6  # what the chat page sends (HISTORY_TURNS in service/web/static/chat.js)
QUESTION_CHARS, ANSWER_CHARS = 1000, 5000  # the API's limits


def load_doc2dial(folder: Path) -> tuple[list[dict], dict[str, list[dict]]]:
    """(documents {title, domain, text}, dialogues: id -> user turns in order)."""
    try:
        documents = [json.loads(line) for line in (Path(folder) / "documents.jsonl").open(encoding="utf-8") if line.strip()]
        dialogues: dict[str, list[dict]] = {}
        for line in (Path(folder) / "turns.jsonl").open(encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                dialogues.setdefault(row["dialogue"], []).append(row)
        for rows in dialogues.values():
            rows.sort(key=lambda r: r["turn"])
            for row in rows:
                row["question"], row["answer"]["start"], row["history"]  # the fields the run reads
    except FileNotFoundError as exc:
        raise InvalidInputError(f"doc2dial folder {folder} lacks {Path(exc.filename).name}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"doc2dial folder {folder} has a malformed file ({type(exc).__name__}: {exc})") from None
    return documents, dialogues


def doc2dial_ids(documents: list[dict]) -> dict[str, str]:
    """Each document's id in the corpus doc2dial_index writes, by its doc2dial title."""
    return {doc["title"]: f"{n:03d}-" + re.sub(r"[^a-z0-9]+", "-", doc["title"].lower()).strip("-")[:60]
            for n, doc in enumerate(documents)}


def doc2dial_index(documents: list[dict], folder: Path):
    """One Markdown file per document (title in front matter, text unchanged, so the spans' offsets hold)."""
    corpus, ids = folder / "corpus", doc2dial_ids(documents)
    corpus.mkdir(parents=True)
    for doc in documents:
        doc_id = ids[doc["title"]]
        title = " ".join(doc["title"].split("#")[0].split())
        (corpus / f"{doc_id}.md").write_text(f"---\ntitle: {title}\n---\n{doc['text']}", encoding="utf-8")
    build_index(corpus, folder / "index")
    return load_index(folder / "index", verify=False), ids


def page_history(row: dict, cited: dict[str, dict]) -> list[dict]:
    """The history the page would send before `row`: each earlier user turn with the agent's replies after
    it as the answer and our own answer's citations (when we asked it), the last PAGE_HISTORY_TURNS."""
    items: list[dict] = []
    for turn in row["history"]:
        text = " ".join(turn["text"].split())
        if turn["role"] == "user":
            ours = cited.get(text, {})
            items.append({"question": text[:QUESTION_CHARS], "answer": None, "citations": ours.get("citations", [])})
        elif items:
            items[-1]["answer"] = ((items[-1]["answer"] or "") + " " + text).strip()[:ANSWER_CHARS]
    return items[-PAGE_HISTORY_TURNS:]


def _overlaps(start: int, end: int, gold: dict) -> bool:
    return start < gold["end"] and end > gold["start"]


def judge(result, gold_document: str, gold: dict) -> dict[str, bool]:
    """Right document first / in the top 5; a top-5 passage of it holding the span; the answer on it."""
    paragraphs = [p.hit.paragraph for p in result.passages[:5]]
    answer = result.answer
    answered = False
    if answer is not None:
        p = result.passages[answer.passage].hit.paragraph
        at = p.start + answer.start
        answered = p.document_id == gold_document and _overlaps(at, at + len(answer.text), gold)
    return {"document1": bool(paragraphs) and paragraphs[0].document_id == gold_document,
            "document5": any(p.document_id == gold_document for p in paragraphs),
            "span5": any(p.document_id == gold_document and _overlaps(p.start, p.end, gold) for p in paragraphs),
            "answer": answered}


def run_dialogues(index, ids: dict[str, str], dialogues: dict[str, list[dict]], with_history: bool,
                  progress: Callable[[int, int], None] | None = None) -> dict:
    keys = ("document1", "document5", "span5", "answer")
    tallies = {kind: {"turns": 0, "refused": 0, **dict.fromkeys(keys, 0)} for kind in ("first", "later")}
    for i, rows in enumerate(dialogues.values(), 1):
        cited: dict[str, dict] = {}
        for n, row in enumerate(rows):
            tally = tallies["first" if n == 0 else "later"]
            tally["turns"] += 1
            question = " ".join(row["question"].split())[:QUESTION_CHARS]
            history = page_history(row, cited) if with_history else []
            try:
                result = answer_question(index, question, top_k=5, history=history)
            except EmptyQueryError:
                tally["refused"] += 1
                continue
            cited[question] = history_item(result)
            for key, hit in judge(result, ids[row["document"]], row["answer"]).items():
                tally[key] += hit
        if progress:
            progress(i, len(dialogues))
    every = {k: sum(t[k] for t in tallies.values()) for k in ("turns", "refused", *keys)}
    return {kind: {"turns": t["turns"], "refused": t["refused"],
                   **{k: round(t[k] / max(t["turns"], 1), 4) for k in keys}}
            for kind, t in (*tallies.items(), ("all", every))}


def evaluate_doc2dial(folder: Path, limit: int | None = None, progress: Callable[[int, int], None] | None = None,
                      semantic: bool = True, embedding: Callable[[int, int], None] | None = None) -> dict:
    started = time.perf_counter()
    documents, dialogues = load_doc2dial(folder)
    if limit:
        dialogues = dict(list(dialogues.items())[:limit])
    with tempfile.TemporaryDirectory(prefix="docqa-doc2dial-") as tmp:
        index, ids = doc2dial_index(documents, Path(tmp))
        figures = {"dialogues": len(dialogues), "documents": len(documents), **with_semantic(index, semantic, embedding),
                   "with_history": run_dialogues(index, ids, dialogues, True, progress),
                   "without_history": run_dialogues(index, ids, dialogues, False)}
    return {**figures, "seconds": round(time.perf_counter() - started, 1)}
