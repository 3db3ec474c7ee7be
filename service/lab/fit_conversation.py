"""Fit the topic model (service/qa/topic.py): when a question that names its own subject keeps the
conversation's document.

Examples come from two kinds of conversation where the right answer is known: doc2dial's later turns,
which stay on their dialogue's document (keeping it is right when the question alone finds another),
and SQuAD conversations with a topic shift (the shifted question must be answered as if asked alone:
keeping the old document is always wrong). Fitted on even-numbered dialogues and even SQuAD articles;
the odd ones are held out. A logistic regression on the model's features, both kinds weighted equally;
then the bias is lowered until at most SHIFT_BUDGET of the shifted questions keep the old document.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from index.errors import EmptyQueryError
from index.linear_model import model_path, write_model

from ..qa import topic
from ..qa.answers import answer_question
from ..qa.conversation import turns_from
from ..qa.passages import find_passages
from ..qa.responses import history_item
from .conversations import topic_shift_conversations
from .doc2dial import doc2dial_ids, doc2dial_index, load_doc2dial, page_history
from .evaluation import load_squad, squad_index, with_semantic

SHIFT_BUDGET = 0.03  # at most this share of the training shifts may keep the old document
POOL = 30


def _record(index, question: str, history: list[dict], gold: str | None) -> dict | None:
    """The question alone and with the conversation's words: each candidate document's features, and
    whether keeping it is right (None: both or neither right, not an example)."""
    try:
        q, alone, _ = find_passages(index, question, top_k=POOL)
    except EmptyQueryError:
        return None
    if not alone or not history:
        return None
    turns = turns_from(history, index)
    together = index.search_terms({**topic.conversation_terms(turns), **q.search}, 5, phrase=q.terms)
    cited = [c["document"] for c in history[-1].get("citations", [])[:1]]
    top = alone[0].paragraph.document_id
    gold = top if gold is None else gold
    candidates = []
    for document in dict.fromkeys(cited + [h.paragraph.document_id for h in together[:1]]):
        if document != top:
            right = None if (document == gold) == (top == gold) else document == gold
            candidates.append((topic.features(alone, document), right))
    return {"top_right": top == gold, "candidates": candidates}


def _built(work: Path, name: str, build):
    """An index built once under `work` (reused by a later run with the same --work-dir), with its vectors."""
    from index import load_index

    folder = work / name
    if (folder / "index").exists():
        index, extra = load_index(folder / "index", verify=False), None
    else:
        index, extra = build(folder)
    with_semantic(index, True)
    return index, extra


def doc2dial_records(folder: Path, work: Path, parity: int, progress) -> list[dict]:
    documents, dialogues = load_doc2dial(folder)
    index, _ = _built(work, "doc2dial", lambda f: doc2dial_index(documents, f))
    ids = doc2dial_ids(documents)
    out = []
    chosen = [rows for n, rows in enumerate(dialogues.values()) if n % 2 == parity]
    for i, rows in enumerate(chosen, 1):
        cited: dict[str, dict] = {}
        for n, row in enumerate(rows):
            question = " ".join(row["question"].split())[:1000]
            history = page_history(row, cited)
            if n and history and not _leans(index, question, history):
                record = _record(index, question, history, ids[row["document"]])
                if record:
                    out.append(record)
            try:
                cited[question] = history_item(answer_question(index, question, history=history))
            except EmptyQueryError:
                pass
        if progress:
            progress(i, len(chosen))
    return out


def shift_records(squad: Path, work: Path, subset: str) -> list[dict]:
    articles, questions = load_squad(squad)
    index, _ = _built(work, "squad", lambda f: squad_index(articles, f))
    out = []
    for conversation in topic_shift_conversations(articles, questions, subset):
        history: list[dict] = []
        for turn in conversation["turns"]:
            if turn.get("shifted"):
                if not _leans(index, turn["question"], history):
                    record = _record(index, turn["question"], history, None)
                    if record:
                        out.append(record)
                break
            try:
                history.append(history_item(answer_question(index, turn["question"], history=history)))
            except EmptyQueryError:
                history.append({"question": turn["question"], "answer": None, "citations": []})
    return out


def _leans(index, question: str, history: list[dict]) -> bool:
    from ..qa.conversation import context_for

    context = context_for(question, history, index)
    return context is not None and context.reading.leans


def _kept(record: dict, weights: np.ndarray) -> bool | None:
    """What on_topic does with these weights: None if the alone answer stands, else whether the kept
    document is the right one."""
    for values, right in record["candidates"]:
        if values["ratio"] >= topic.TIE_RATIO and float(np.dot(weights, [values[f] for f in topic.FEATURES])) > 0:
            return right if right is not None else False
    return None


def figures(records: list[dict], weights: np.ndarray) -> dict:
    right = 0
    kept = 0
    for r in records:
        outcome = _kept(r, weights)
        kept += outcome is not None
        right += r["top_right"] if outcome is None else bool(outcome)
    n = max(len(records), 1)
    return {"questions": len(records), "right_document": round(right / n, 4), "kept": round(kept / n, 4)}


def fit(dialogue: list[dict], shifted: list[dict]) -> np.ndarray:
    rows, labels, weights = [], [], []
    for records, share in ((dialogue, 1.0), (shifted, len(dialogue) / max(len(shifted), 1))):
        for r in records:
            for values, right in r["candidates"]:
                if right is not None and values["ratio"] >= topic.TIE_RATIO:  # only near-ties are ever weighed
                    rows.append([values[f] for f in topic.FEATURES])
                    labels.append(float(right))
                    weights.append(share)
    x, y, w = np.array(rows), np.array(labels), np.array(weights)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    mean[-1], scale[-1] = 0.0, 1.0  # the bias column stays 1
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    beta = np.zeros(z.shape[1])
    for _ in range(4000):  # full-batch gradient descent on the weighted logistic loss, light L2
        p = 1 / (1 + np.exp(-z @ beta))
        beta -= 0.5 * (z.T @ (w * (p - y)) / w.sum() + 1e-3 * beta)
    raw = beta / scale
    raw[-1] = beta[-1] - float((beta[:-1] * mean[:-1] / scale[:-1]).sum())
    while figures(shifted, raw)["kept"] > SHIFT_BUDGET:  # the shifted questions' budget decides the bias
        raw[-1] -= 0.05
    return raw


def fit_conversation_model(doc2dial: Path, squad: Path, out: Path | None = None, work: Path | None = None,
                           progress: Callable[[int, int], None] | None = None) -> dict:
    out = out or model_path("service.qa", topic.MODEL_FILE)
    if out == model_path("service.qa", topic.MODEL_FILE):
        # The conversations' earlier turns are answered with a model that never keeps a document (each
        # question as if alone), so the examples do not depend on the weights being fitted.
        write_model(out, "continuation", 1, {f: (-1.0 if f == "bias" else 0.0) for f in topic.FEATURES},
                    {"note": "provisional, while docqa eval fit-conversation runs"})
        topic.model.cache_clear()
    with tempfile.TemporaryDirectory(prefix="docqa-fit-conversation-") as tmp:
        base = Path(work or tmp)
        cached = base / "records.json"  # the examples of an earlier run with this --work-dir (JSON, not pickle)
        if work is not None and cached.exists():
            train_d, test_d, train_s, test_s = json.loads(cached.read_text(encoding="utf-8"))
        else:
            train_d, test_d = (doc2dial_records(doc2dial, base, parity, progress) for parity in (0, 1))
            train_s, test_s = (shift_records(squad, base, subset) for subset in ("even", "odd"))
            cached.write_text(json.dumps([train_d, test_d, train_s, test_s]), encoding="utf-8")
    weights = fit(train_d, train_s)
    made_by: dict[str, Any] = {"command": f"docqa eval fit-conversation {doc2dial} {squad}",
               "training_data_sha256": {"doc2dial": _sha256(doc2dial / "turns.jsonl"), "squad": _sha256(squad)},
               "subset": "even-numbered doc2dial dialogues and even SQuAD articles (topic-shift conversations)",
               "fitter": f"weighted logistic regression (doc2dial and shifts weighted equally), then the bias lowered "
                         f"until at most {SHIFT_BUDGET} of the training shifts keep the old document",
               "figures": {"train": {"doc2dial": figures(train_d, weights), "shift": figures(train_s, weights)},
                           "held_out": {"doc2dial": figures(test_d, weights), "shift": figures(test_s, weights)}}}
    write_model(out, "continuation", 1, dict(zip(topic.FEATURES, [round(float(v), 5) for v in weights])), made_by)
    topic.model.cache_clear()
    return {**dict(zip(topic.FEATURES, weights.round(5).tolist())), **{"written": str(out)}, **made_by["figures"]}


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
