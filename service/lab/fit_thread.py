"""Fit the thread prior (service/qa/thread.py): how much a follow-up's answer sentence is preferred for
standing near, and after, the last answer.

First the shape: where each later turn's gold answer sentence stands from the previous turn's, in SQuAD
made into conversations (even articles) and doc2dial's dialogues (even ones), as shares of the buckets
same / next / after (2-3 on) / before (1-3 back) / far. Each bucket's weight is log(its share per
sentence / far's share per sentence), at least 0; then one scale for all of them is chosen by the
later turns' answer sentence on the SQuAD conversations (even articles), one run per grid point.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections import Counter
from pathlib import Path

from index.documents import Document, split_paragraphs
from index.linear_model import load_model, model_path, write_model
from index.analysis.sentences import sentence_spans

from ..qa import conversation
from ..qa.thread import BUCKETS, Thread, bucket
from .conversations import _squad_judge, run_conversations, squad_conversations
from .doc2dial import load_doc2dial
from .evaluation import load_squad, squad_index, with_semantic

SIZES = {"same": 1, "next": 1, "after": 2, "before": 3, "far": 20}  # sentences in each bucket ("far": a typical span)
SCALES = (0.0, 0.25, 0.5, 1.0, 2.0)


def _position(paragraphs, at: int) -> tuple[int, int, int] | None:
    """(paragraph number, sentence number, sentences in it) of offset `at`."""
    for p in paragraphs:
        if p.start <= at < p.end:
            spans = sentence_spans(p.text)
            n = next((i for i, (s, e) in enumerate(spans) if s <= at - p.start < e), len(spans) - 1)
            return p.number, n, len(spans)
    return None


def _shape(pairs) -> Counter:
    """Bucket counts for (document, paragraphs, previous offset, offset) pairs of consecutive gold answers."""
    counts: Counter = Counter()
    for document, paragraphs, before, now in pairs:
        a, b = _position(paragraphs, before), _position(paragraphs, now)
        if a and b:
            thread = Thread(document, a[0], a[1], a[2], "", None, "")
            counts[bucket(thread, document, b[0], b[1], b[2])] += 1
    return counts


def squad_pairs(articles, questions, subset: str):
    contexts = [c for _, cs in articles for c in cs]
    by_context: dict[int, list] = {}
    for q in questions:
        if q.article % 2 == (0 if subset == "even" else 1):
            by_context.setdefault(q.context, []).append(q)
    for context, qs in by_context.items():
        text = contexts[context]
        paragraphs = split_paragraphs(Document("c", "", "", text, ""))
        offsets = [text.find(q.answers[0]) for q in qs]
        for before, now in zip(offsets, offsets[1:]):
            if before >= 0 and now >= 0:
                yield "c", paragraphs, before, now


def doc2dial_pairs(folder: Path, parity: int):
    documents, dialogues = load_doc2dial(folder)
    texts = {d["title"]: d["text"] for d in documents}
    for n, rows in enumerate(dialogues.values()):
        if n % 2 != parity:
            continue
        text = texts[rows[0]["document"]]
        paragraphs = split_paragraphs(Document("d", "", "", text, ""))
        for a, b in zip(rows, rows[1:]):
            yield "d", paragraphs, a["answer"]["start"], b["answer"]["start"]


def base_weights(counts: Counter) -> dict[str, float]:
    total = sum(counts.values()) or 1
    per = {b: (counts[b] / total) / SIZES[b] for b in BUCKETS}
    far = per["far"] or 1e-6
    return {b: max(0.0, math.log(max(per[b], 1e-6) / far)) for b in BUCKETS}


def fit_thread(squad: Path, doc2dial: Path, limit: int = 250, progress=None) -> dict:
    articles, questions = load_squad(squad)
    counts = _shape(list(squad_pairs(articles, questions, "even")) + list(doc2dial_pairs(doc2dial, 0)))
    base = base_weights(counts)
    path = model_path("service.qa", conversation.FOCUS_FILE)
    current = load_model(path, conversation.FOCUS_FEATURES, non_negative=True)
    weights = dict(zip(current.features, current.weights.tolist()))
    runs = {}
    with tempfile.TemporaryDirectory(prefix="docqa-fit-thread-") as tmp:
        index, context_of = squad_index(articles, Path(tmp))
        with_semantic(index, True)
        chosen = squad_conversations(articles, questions, "even")[:limit]
        for scale in SCALES:
            weights.update({f"thread_{b}": round(scale * base[b], 4) for b in BUCKETS})
            write_model(path, "conversation", 2, weights, current.made_by)
            conversation.focus_weights.cache_clear()
            figures = run_conversations(index, chosen, _squad_judge(context_of), True, progress)
            runs[scale] = figures["later"]["answer_sentence"]
    best = max(SCALES, key=lambda s: (runs[s], -abs(s - 1)))
    weights.update({f"thread_{b}": round(best * base[b], 4) for b in BUCKETS})
    made_by = dict(current.made_by)
    made_by["thread"] = {
        "command": f"docqa eval fit-thread {squad} {doc2dial} --limit {limit}",
        "training_data_sha256": {"squad": _sha256(squad), "doc2dial": _sha256(doc2dial / "turns.jsonl")},
        "shape": {"data": "consecutive gold answers: SQuAD conversations (even articles) and doc2dial (even dialogues)",
                  "counts": {b: counts[b] for b in BUCKETS}, "bucket_sizes": SIZES},
        "scale": {"grid": list(SCALES), "later_answer_sentence": runs, "chosen": best,
                  "on": f"the first {limit} SQuAD conversations of even articles, with history"}}
    write_model(path, "conversation", 2, weights, made_by)
    conversation.focus_weights.cache_clear()
    return {"counts": dict(counts), "weights": {f"thread_{b}": weights[f"thread_{b}"] for b in BUCKETS}, "runs": runs}


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()

