"""CANARD: how a follow-up is read. Each question of a QuAC conversation has a human rewrite that can be
understood alone ("When did they disband?" -> "When did Zappa and the Mothers of Invention disband?").

Each conversation becomes one document (its article's title; the section's title and the conversation's
answers as its paragraphs, the text the answers were quoted from). Its questions are asked in order,
limited to that document, with the history the page would send (the earlier questions, their real
answers, our own answers' citations). What `read_as` adds to the question is compared with what the
rewrite adds, as sets of content words (docqa's analysed terms: stemmed, stopwords dropped):
recall = shared / added by the rewrite, precision = shared / added by read_as, summed over questions.
Simple rules are scored the same way in the same run, for scale. Data: ../shared/eval/canard/dev.json.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Callable

from index import build_index, load_index
from index.analysis import analyze
from index.errors import EmptyQueryError, InvalidInputError

from ..qa.answers import answer_question
from ..qa.responses import history_item

NO_ANSWER = "CANNOTANSWER"
_PRONOUN = re.compile(r"\b(?:he|she|they|it|him|her|his|them|their|its|this|that|these|those|there)\b", re.I)


def load_canard(path: Path) -> dict[str, list[dict]]:
    """Conversation id -> its questions in order (each with History, Question, Rewrite)."""
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
        dialogues: dict[str, list[dict]] = {}
        for row in rows:
            if not all(isinstance(row[k], str) for k in ("Question", "Rewrite", "QuAC_dialog_id")) \
                    or not isinstance(row["History"], list) or len(row["History"]) < 2:
                raise ValueError(f"row {row.get('QuAC_dialog_id')!r} is not a CANARD row")
            dialogues.setdefault(row["QuAC_dialog_id"], []).append(row)
    except FileNotFoundError:
        raise InvalidInputError(f"{path} does not exist") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{path} is not a CANARD file ({type(exc).__name__}: {exc})") from None
    for questions in dialogues.values():
        questions.sort(key=lambda r: r["Question_no"])
    return dialogues


def canard_index(dialogues: dict[str, list[dict]], folder: Path):
    """One document per conversation: its article's title, then the section's title and every answer."""
    corpus, ids = folder / "corpus", {}
    corpus.mkdir(parents=True)
    for n, (dialogue, questions) in enumerate(dialogues.items()):
        history = max((q["History"] for q in questions), key=len)
        title, section = history[0], history[1]
        answers = [a for a in history[3::2] if a != NO_ANSWER]
        ids[dialogue] = doc_id = f"{n:04d}"
        body = "\n\n".join([section, *(" ".join(a.split()) for a in answers)])
        (corpus / f"{doc_id}.md").write_text(f"---\ntitle: {' '.join(title.split())}\n---\n{body}", encoding="utf-8")
    build_index(corpus, folder / "index")
    return load_index(folder / "index", verify=False), ids


def content(text: str) -> set[str]:
    return set(analyze(text))


class Tally:
    """Added content words: shared with the rewrite, added by us, added by the rewrite."""

    def __init__(self) -> None:
        self.shared = self.ours = self.gold = self.kept = self.unchanged = 0

    def add(self, question: str, read_as: str, rewrite: str) -> None:
        asked = content(question)
        ours, gold = content(read_as) - asked, content(rewrite) - asked
        self.shared, self.ours, self.gold = self.shared + len(ours & gold), self.ours + len(ours), self.gold + len(gold)
        if not gold:
            self.unchanged += 1
            self.kept += not ours

    def figures(self) -> dict:
        return {"recall": round(self.shared / max(self.gold, 1), 4), "precision": round(self.shared / max(self.ours, 1), 4),
                "kept_when_rewrite_adds_nothing": round(self.kept / max(self.unchanged, 1), 4)}


RULES = {  # simple readings of a follow-up, scored beside ours for scale
    "title if pronoun": lambda q, title: f"{q} {title}" if _PRONOUN.search(q) else q,
    "always title": lambda q, title: f"{q} {title}",
}


def evaluate_canard(path: Path, limit: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    started = time.perf_counter()
    dialogues = load_canard(path)
    if limit:
        dialogues = dict(list(dialogues.items())[:limit])
    ours, rules = Tally(), {name: Tally() for name in RULES}
    examples: list[dict[str, str]] = []  # questions read otherwise than asked, a few to show
    with tempfile.TemporaryDirectory(prefix="docqa-canard-") as tmp:
        index, ids = canard_index(dialogues, Path(tmp))
        for i, (dialogue, questions) in enumerate(dialogues.items(), 1):
            cited: dict[str, list] = {}
            for row in questions:
                pairs = row["History"][2:]
                history = [{"question": q, "answer": None if a == NO_ANSWER else a, "citations": cited.get(q, [])}
                           for q, a in zip(pairs[::2], pairs[1::2])]
                try:
                    result = answer_question(index, row["Question"], top_k=5, history=history,
                                             documents=frozenset({ids[dialogue]}))
                    read_as = result.read_as
                    cited[row["Question"]] = history_item(result)["citations"]
                except EmptyQueryError:
                    read_as = row["Question"]
                ours.add(row["Question"], read_as, row["Rewrite"])
                for name, rule in RULES.items():
                    rules[name].add(row["Question"], rule(row["Question"], row["History"][0]), row["Rewrite"])
                if len(examples) < 12 and read_as != row["Question"]:
                    examples.append({"question": row["Question"], "read_as": read_as, "rewrite": row["Rewrite"]})
            if progress:
                progress(i, len(dialogues))
    return {"dialogues": len(dialogues), "questions": sum(map(len, dialogues.values())), **ours.figures(),
            "rules": {name: t.figures() for name, t in rules.items()}, "examples": examples,
            "seconds": round(time.perf_counter() - started, 1)}
