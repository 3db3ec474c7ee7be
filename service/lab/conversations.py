"""Conversation evaluation: every turn asked in order with the history the chat page would send.

Two kinds of set, both judged the same way (does the answer sentence hold the gold evidence; is
passage 1 the gold paragraph), for first and later turns, with and without history:

- a conversation file (format "docqa-conversations-v1"): hand-written conversations whose turns give
  the gold `document` (an id, or a list of ids any of which counts) and `evidence` strings (any of which
  the answer sentence must hold), over the file's own `documents` or else a corpus folder
  (service/lab/data/seed-conversations.json is over docs_corpus/);
- SQuAD v1.1 made into conversations: each context's questions in order, and in later turns a person
  named in an earlier turn replaced by he/she (the pronoun the context itself uses for them), so the
  question can only be answered by resolving it. See docs/EVALUATION.md.
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
from ..qa.references import gender, names_in, people
from ..qa.responses import history_item
from .evaluation import load_squad, squad_index, with_semantic

FORMAT = "docqa-conversations-v1"
MAX_TURNS = 6
SHIFT_STRIDE = 7  # a topic shift asks about the article this many places further on (among those of the subset)


def squad_conversations(articles, questions, subset: str) -> list[dict]:
    """Each context's questions in order as one conversation; later turns with pronouns for people."""
    by_context: dict[int, list] = {}
    for q in questions:
        if subset == "all" or q.article % 2 == (0 if subset == "even" else 1):
            by_context.setdefault(q.context, []).append(q)
    contexts = [c for _, cs in articles for c in cs]
    conversations = []
    for context, qs in by_context.items():
        turns = []
        seen: list[str] = []  # the names of the conversation's earlier questions and answers
        for n, q in enumerate(qs[:MAX_TURNS]):
            text = q.question
            if n:
                text = _with_pronoun(text, seen, contexts[context])
            turns.append({"question": text, "original": q.question, "evidence": list(q.answers), "context": context})
            seen += [m.name for m in names_in(q.question + " " + " ".join(q.answers))]
        conversations.append({"id": f"squad-{context}", "turns": turns})
    return conversations


def topic_shift_conversations(articles, questions, subset: str, before: int = 3) -> list[dict]:
    """SQuAD conversations of `before` turns about one paragraph (made as squad_conversations makes them),
    then the first question about a paragraph of another article (SHIFT_STRIDE articles on, its paragraph
    at the same place): a new topic asked mid-conversation."""
    conversations = squad_conversations(articles, questions, subset)
    article_of = {q.context: q.article for q in questions}
    by_article: dict[int, list[dict]] = {}
    for c in conversations:
        by_article.setdefault(article_of[c["turns"][0]["context"]], []).append(c)
    order = sorted(by_article)
    shifted = []
    for article in order:
        others = by_article[order[(order.index(article) + SHIFT_STRIDE) % len(order)]]
        for n, c in enumerate(by_article[article]):
            other = others[n % len(others)]
            if len(c["turns"]) > before and other is not c:
                turns = c["turns"][:before] + [dict(other["turns"][0], shifted=True)]
                shifted.append({"id": c["id"] + "-shift", "turns": turns})
    return shifted


def run_topic_shift(index, conversations: list[dict], judge: Callable,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    """The shifted turn of each conversation: passage 1 right with the history and alone, and whether its
    answer (sentence and passages) is the one it gets when asked alone."""
    tally = {"turns": 0, "passage_with_history": 0, "passage_alone": 0, "same_answer": 0, "same_passages": 0}
    for i, conversation in enumerate(conversations, 1):
        history: list[dict] = []
        for turn in conversation["turns"]:
            try:
                result = answer_question(index, turn["question"], top_k=5, history=history)
            except EmptyQueryError:
                history.append({"question": turn["question"], "answer": None, "citations": []})
                continue
            if turn.get("shifted"):
                alone = answer_question(index, turn["question"], top_k=5)
                tally["turns"] += 1
                tally["passage_with_history"] += judge(turn, result)[1]
                tally["passage_alone"] += judge(turn, alone)[1]
                tally["same_answer"] += (result.answer and result.answer.text) == (alone.answer and alone.answer.text)
                tally["same_passages"] += [p.hit.paragraph for p in result.passages] == [p.hit.paragraph for p in alone.passages]
            history.append(history_item(result))
        if progress:
            progress(i, len(conversations))
    n = max(tally["turns"], 1)
    return {"turns": tally["turns"], **{k: round(v / n, 4) for k, v in tally.items() if k != "turns"}}


def evaluate_topic_shift(path: Path, subset: str = "even", limit: int | None = None,
                         progress: Callable[[int, int], None] | None = None, semantic: bool = True,
                         embedding: Callable[[int, int], None] | None = None) -> dict:
    """SQuAD v1.1 made into conversations with a topic shift as their fourth turn (see topic_shift_conversations)."""
    started = time.perf_counter()
    articles, questions = load_squad(path)
    conversations = topic_shift_conversations(articles, questions, subset)
    conversations = conversations[:limit] if limit else conversations
    with tempfile.TemporaryDirectory(prefix="docqa-shift-") as tmp:
        index, context_of = squad_index(articles, Path(tmp))
        figures = {"conversations": len(conversations), "subset": subset, **with_semantic(index, semantic, embedding),
                   **run_topic_shift(index, conversations, _squad_judge(context_of), progress)}
    return {**figures, "seconds": round(time.perf_counter() - started, 1)}


def _with_pronoun(question: str, seen: list[str], context: str) -> str:
    """The question with one person named in an earlier turn replaced by he/she (his/her for "X's")."""
    for mention in people(names_in(question), context):
        if not any(mention.name in s or s in mention.name for s in seen):
            continue
        g = gender(mention.name, context)
        if g is None:
            continue
        rest = question[mention.end:]
        if rest.startswith(("'s", "’s")):
            return question[:mention.start] + ("his" if g == "m" else "her") + rest[2:]
        subject = mention.start == 0 or question[:mention.start].rstrip().lower().split()[-1] in (
            "did", "does", "was", "is", "has", "had", "when", "where", "why", "how", "what")
        pronoun = ("he" if g == "m" else "she") if subject else ("him" if g == "m" else "her")
        return question[:mention.start] + pronoun + rest
    return question


def run_conversations(index, conversations: list[dict], judge: Callable, with_history: bool,
                      progress: Callable[[int, int], None] | None = None) -> dict:
    """Ask every turn (with the history the page sends, or alone); answer and passage-1 hits per turn kind."""
    tallies = {kind: {"turns": 0, "answer": 0, "passage": 0, "refused": 0} for kind in ("first", "later")}
    for i, conversation in enumerate(conversations, 1):
        history: list[dict] = []
        for n, turn in enumerate(conversation["turns"]):
            tally = tallies["first" if n == 0 else "later"]
            tally["turns"] += 1
            try:
                result = answer_question(index, turn["question"], top_k=5, history=history if with_history else ())
            except EmptyQueryError:
                tally["refused"] += 1
                history.append({"question": turn["question"], "answer": None, "citations": []})
                continue
            answer_hit, passage_hit = judge(turn, result)
            tally["answer"] += answer_hit
            tally["passage"] += passage_hit
            history.append(history_item(result))
        if progress:
            progress(i, len(conversations))
    everything = {k: sum(t[k] for t in tallies.values()) for k in ("turns", "answer", "passage", "refused")}
    return {kind: _rates(t) for kind, t in (*tallies.items(), ("all", everything))}


def _rates(t: dict) -> dict:
    n = max(t["turns"], 1)
    return {"turns": t["turns"], "answer_sentence": round(t["answer"] / n, 4), "passage1": round(t["passage"] / n, 4),
            "refused": t["refused"]}


def evaluate_conversations(path: Path, subset: str = "all", limit: int | None = None, corpus: Path | None = None,
                           progress: Callable[[int, int], None] | None = None, semantic: bool = True,
                           embedding: Callable[[int, int], None] | None = None) -> dict:
    """A conversation file (over its own documents, else `corpus`), or a SQuAD v1.1 file made into
    conversations; figures with and without history."""
    started = time.perf_counter()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"{path} does not exist") from None
    except ValueError as exc:
        raise InvalidInputError(f"{path} is not JSON: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="docqa-conversations-") as tmp:
        if isinstance(data, dict) and data.get("format") == FORMAT:
            index, conversations, judge = _file_set(data, Path(tmp), corpus)
        elif isinstance(data, dict) and "data" in data:
            articles, questions = load_squad(path)
            conversations = squad_conversations(articles, questions, subset)
            index, context_of = squad_index(articles, Path(tmp))
            judge = _squad_judge(context_of)
        else:
            raise InvalidInputError(f"{path} is neither a {FORMAT} file nor SQuAD v1.1")
        conversations = conversations[:limit] if limit else conversations
        figures = {"conversations": len(conversations), **with_semantic(index, semantic, embedding),
                   "with_history": run_conversations(index, conversations, judge, True, progress),
                   "without_history": run_conversations(index, conversations, judge, False)}
    return {**figures, "seconds": round(time.perf_counter() - started, 1)}


def _squad_judge(context_of):
    def judge(turn, result):
        text = result.answer.text if result.answer else ""
        first = result.passages[0].hit.paragraph if result.passages else None
        return any(a in text for a in turn["evidence"]), first is not None and context_of(first) == turn["context"]
    return judge


def _file_set(data: dict, folder: Path, corpus: Path | None):
    """Index the file's documents (else the corpus folder); its turns name their gold document and evidence."""
    try:
        if "documents" in data:
            corpus = folder / "corpus"
            corpus.mkdir()
            for doc in data["documents"]:
                if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", doc["id"]):
                    raise InvalidInputError(f"document id {doc['id']!r} is not a slug")
                (corpus / f"{doc['id']}.md").write_text(f"---\ntitle: {doc['title']}\n---\n{doc['text']}",
                                                         encoding="utf-8")
        elif corpus is None or not Path(corpus).is_dir():
            raise InvalidInputError(f"the {FORMAT} file has no documents and the corpus folder {corpus} does not exist")
        conversations = [{"id": c["id"], "turns": [dict(t) for t in c["turns"]]} for c in data["conversations"]]
        for c in conversations:
            for t in c["turns"]:
                documents = [t["document"]] if isinstance(t["document"], str) else t["document"]
                if not isinstance(t["question"], str) or not t["evidence"] or not documents \
                        or not all(isinstance(d, str) for d in documents):
                    raise InvalidInputError(f"conversation {c['id']}: every turn needs question, document, evidence")
                t["document"] = documents
    except (KeyError, TypeError) as exc:
        raise InvalidInputError(f"malformed {FORMAT} file ({type(exc).__name__}: {exc})") from None
    build_index(corpus, folder / "index")

    def judge(turn, result):
        text = result.answer.text if result.answer else ""
        first = result.passages[0].hit.paragraph if result.passages else None
        answer_hit = any(e in text for e in turn["evidence"])
        passage_hit = first is not None and first.document_id in turn["document"]
        return answer_hit, passage_hit

    return load_index(folder / "index", verify=False), conversations, judge
