"""Quality evaluation: SQuAD v1.1 (paragraph retrieval and answers) and BEIR (document retrieval).

Each run builds a real index from files written to a temporary folder, then asks every question
through the same code paths as the API. Data stays in ../shared/eval; nothing is copied here.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import json
import math
import re
import statistics
import string
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from index import Bm25Params, build_index, load_index, semantic as semantic_model
from index.semantic.vectors import embed_if_installed
from index.errors import DocqaError, EmptyQueryError, InvalidInputError

from ..qa.answers import answer_question
from ..qa.passages import find_passages
from ..qa.questions import asks_how_many

# -- metrics (pure functions) ---------------------------------------------------------------------


def reciprocal_rank(ranked: list[str], relevant: Iterable[str], cutoff: int) -> float:
    relevant = set(relevant)
    for i, doc in enumerate(ranked[:cutoff], 1):
        if doc in relevant:
            return 1.0 / i
    return 0.0


def recall_at(ranked: list[str], relevant: Iterable[str], cutoff: int) -> float:
    relevant = set(relevant)
    return len(relevant & set(ranked[:cutoff])) / len(relevant) if relevant else 0.0


def ndcg_at(ranked: list[str], gains: dict[str, float], cutoff: int) -> float:
    """nDCG with gain = relevance grade and log2(rank + 1) discount (as in BEIR / trec_eval)."""
    dcg = sum(gains.get(doc, 0.0) / math.log2(i + 1) for i, doc in enumerate(ranked[:cutoff], 1))
    ideal = sorted(gains.values(), reverse=True)[:cutoff]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, 1))
    return dcg / idcg if idcg else 0.0


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower-case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


# -- loaders --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    article: int
    context: int  # global context number


def load_squad(path: Path) -> tuple[list[tuple[str, list[str]]], list[SquadQuestion]]:
    """(articles as (title, contexts), questions); InvalidInputError if the file is not SQuAD v1."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
        articles, questions, n = [], [], 0
        for a, article in enumerate(data):
            contexts = []
            for paragraph in article["paragraphs"]:
                contexts.append(paragraph["context"])
                for qa in paragraph["qas"]:
                    answers = tuple(dict.fromkeys(x["text"] for x in qa["answers"]))
                    questions.append(SquadQuestion(qa["id"], qa["question"], answers, a, n))
                n += 1
            articles.append((article["title"], contexts))
    except FileNotFoundError:
        raise InvalidInputError(f"{path} does not exist") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{path} is not a SQuAD v1.1 JSON file ({type(exc).__name__}: {exc})") from None
    return articles, questions


def load_beir(directory: Path, split: str = "test"):
    """(corpus {id: (title, text)}, queries {id: text}, qrels {query id: {doc id: grade}})."""
    directory = Path(directory)
    try:
        corpus = {}
        with open(directory / "corpus.jsonl", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    corpus[str(row["_id"])] = (row.get("title") or "", row.get("text") or "")
        queries = {}
        with open(directory / "queries.jsonl", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    queries[str(row["_id"])] = row["text"]
        qrels: dict[str, dict[str, float]] = {}
        with open(directory / "qrels" / f"{split}.tsv", encoding="utf-8") as f:
            rows = csv.reader(f, delimiter="\t")
            for row in rows:
                if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                    continue  # header
                if float(row[2]) > 0:
                    qrels.setdefault(row[0], {})[row[1]] = float(row[2])
    except FileNotFoundError as exc:
        raise InvalidInputError(f"BEIR folder {directory} lacks {Path(exc.filename).name}") from None
    except (ValueError, KeyError) as exc:
        raise InvalidInputError(f"BEIR folder {directory} has a malformed file ({exc})") from None
    return corpus, queries, {q: rel for q, rel in qrels.items() if q in queries}


# -- runs -----------------------------------------------------------------------------------------


def _doc_file_id(raw: str, n: int) -> str:
    safe = re.sub(r"[^a-z0-9._-]+", "-", raw.lower()).strip("-._")[:80]
    return f"{n:05d}-{safe}" if safe else f"{n:05d}"


def timed(fn: Callable, latencies: list[float]):
    """Call fn, append its wall time in ms to `latencies`, return its value."""
    started = time.perf_counter()
    value = fn()
    latencies.append((time.perf_counter() - started) * 1000)
    return value


def squad_index(articles: list[tuple[str, list[str]]], folder: Path, params: Bm25Params = Bm25Params()):
    """Index SQuAD contexts (one document per article); returns the index and paragraph -> context number."""
    corpus, owners = folder / "corpus", {}
    corpus.mkdir(parents=True)
    n = 0
    for a, (title, contexts) in enumerate(articles):
        doc_id, pos = _doc_file_id(title, a), 0
        starts = []
        for c in contexts:
            starts.append((pos, n))
            n, pos = n + 1, pos + len(" ".join(c.split())) + 2
        owners[doc_id] = starts
        body = "\n\n".join(" ".join(c.split()) for c in contexts)  # one paragraph per context
        readable = " ".join(title.replace("_", " ").split())
        (corpus / f"{doc_id}.md").write_text(f"---\ntitle: {readable}\n---\n{body}", encoding="utf-8")
    build_index(corpus, folder / "index", params=params)

    def context_of(paragraph) -> int:
        starts = owners[paragraph.document_id]  # a long context split in two maps back to itself
        return starts[bisect.bisect_right([s for s, _ in starts], paragraph.start) - 1][1]

    return load_index(folder / "index", verify=False), context_of


def with_semantic(index, on: bool, progress: Callable[[int, int], None] | None = None) -> dict:
    """Embed the index's paragraphs when `on` and the model is installed; what the figures report of it."""
    if on and embed_if_installed(index, progress) is not None:
        return {"semantic": True, "model": semantic_model.MODEL_NAME}
    return {"semantic": False}


def context_rank(paragraphs, context_of, gold: int) -> int | None:
    """1-based rank of the gold context among the distinct contexts of ranked paragraphs."""
    seen = list(dict.fromkeys(context_of(p) for p in paragraphs))
    return seen.index(gold) + 1 if gold in seen else None


def retrieval_figures(ranks: list[int | None]) -> dict:
    return {"top1": _share(ranks, 1), "top5": _share(ranks, 5), "top20": _share(ranks, 20),
            "mrr": round(sum(1 / r for r in ranks if r) / max(len(ranks), 1), 4)}


def evaluate_squad(path: Path, params: Bm25Params = Bm25Params(), subset: str = "all", limit: int | None = None,
                   progress: Callable[[int, int], None] | None = None, semantic: bool = True,
                   embedding: Callable[[int, int], None] | None = None, shards: int = 0) -> dict:
    """Index every context (one document per article), ask every question of `subset` articles; with
    `shards`, through that many local Xapian shards of the same index (and its vectors)."""
    started = time.perf_counter()
    articles, questions = load_squad(path)
    if subset not in ("all", "even", "odd"):
        raise InvalidInputError("subset must be all, even or odd")
    if subset != "all":
        questions = [q for q in questions if q.article % 2 == (0 if subset == "even" else 1)]
    questions = questions[:limit] if limit else questions
    with tempfile.TemporaryDirectory(prefix="docqa-squad-") as tmp, contextlib.ExitStack() as stack:
        index, context_of = squad_index(articles, Path(tmp), params)
        ranking = with_semantic(index, semantic, embedding)
        if shards:  # the same index and vectors, exported into local shards
            from ..shard_servers import served_shards

            index, ranking = stack.enter_context(served_shards(index, Path(tmp), shards)), {
                "engine": "xapian", "shards": shards, **ranking}
        figures = answer_figures(index, questions, context_of, progress)
    return {"questions": len(questions), "paragraphs": sum(len(c) for _, c in articles), "subset": subset, **ranking,
            **figures, "seconds": round(time.perf_counter() - started, 1)}


def answer_figures(index, questions: list[SquadQuestion], context_of,
                   progress: Callable[[int, int], None] | None = None) -> dict:
    """Ask each question of `index` (any engine): where the gold context ranks, whether the answer sentence
    holds an answer, whether a how-many answer marks it exactly, and the median time per question."""
    ranks: list[int | None] = []
    latencies: list[float] = []
    sentence_hits = how_many = how_many_hits = 0
    for i, q in enumerate(questions, 1):
        try:
            result = timed(lambda q=q: answer_question(index, q.question, top_k=20, threshold=0.0), latencies)
        except EmptyQueryError:
            ranks.append(None)
            continue
        ranks.append(context_rank([p.hit.paragraph for p in result.passages], context_of, q.context))
        text = result.answer.text if result.answer else ""
        sentence_hits += any(a in text for a in q.answers)
        if asks_how_many(q.question):
            how_many += 1
            a = result.answer
            if a is not None and a.highlight is not None:
                marked = normalize_answer(a.text[a.highlight[0]:a.highlight[1]])
                how_many_hits += marked in {normalize_answer(x) for x in q.answers}
        if progress:
            progress(i, len(questions))
    return {**retrieval_figures(ranks),
            "answer_sentence": round(sentence_hits / max(len(questions), 1), 4),
            "how_many_exact": round(how_many_hits / max(how_many, 1), 4),
            "p50_ms": round(statistics.median(latencies), 3) if latencies else 0.0}


def _share(ranks: list, cutoff: int) -> float:
    return round(sum(1 for r in ranks if r and r <= cutoff) / max(len(ranks), 1), 4)


def beir_index(corpus: dict[str, tuple[str, str]], folder: Path, params: Bm25Params = Bm25Params()):
    """Index each BEIR entry as a document (title as the title field, and title + text as the body)."""
    (folder / "corpus").mkdir(parents=True)
    file_ids = {}
    for n, (doc_id, (title, text)) in enumerate(corpus.items()):
        file_id = _doc_file_id(doc_id, n)
        file_ids[file_id] = doc_id
        title = " ".join(title.split())
        front = f"---\ntitle: {title}\n---\n" if title else ""
        (folder / "corpus" / f"{file_id}.md").write_text(f"{front}{title}\n{' '.join(text.split())}", encoding="utf-8")
    build_index(folder / "corpus", folder / "index", params=params)
    return load_index(folder / "index", verify=False), file_ids


def beir_figures(rankings: dict[str, list[str]], qrels: dict[str, dict[str, float]]) -> dict:
    """Mean nDCG@10, recall@100 and MRR@10 of ranked document ids per query."""
    return {"ndcg@10": round(statistics.fmean(ndcg_at(rankings.get(q, []), g, 10) for q, g in qrels.items()), 4),
            "recall@100": round(statistics.fmean(recall_at(rankings.get(q, []), g, 100) for q, g in qrels.items()), 4),
            "mrr@10": round(statistics.fmean(reciprocal_rank(rankings.get(q, []), g, 10) for q, g in qrels.items()), 4)}


def evaluate_beir(directory: Path, split: str = "test", params: Bm25Params = Bm25Params(),
                  progress: Callable[[int, int], None] | None = None, semantic: bool = True,
                  embedding: Callable[[int, int], None] | None = None) -> dict:
    """Index each corpus entry as a document (title + text); nDCG@10, recall@100, MRR@10 over qrels."""
    started = time.perf_counter()
    corpus, queries, qrels = load_beir(directory, split)
    if not qrels:
        raise InvalidInputError(f"no judged queries for split {split!r} in {directory}")
    with tempfile.TemporaryDirectory(prefix="docqa-beir-") as tmp:
        index, file_ids = beir_index(corpus, Path(tmp), params)
        ranking = with_semantic(index, semantic, embedding)
        rankings = {}
        latencies: list[float] = []
        for i, qid in enumerate(sorted(qrels), 1):
            try:
                _, hits, _ = timed(lambda qid=qid: find_passages(index, queries[qid], top_k=300), latencies)
            except DocqaError:
                hits = []
            rankings[qid] = list(dict.fromkeys(file_ids[h.paragraph.document_id] for h in hits))
            if progress:
                progress(i, len(qrels))
    return {"queries": len(qrels), "documents": len(corpus), **ranking, **beir_figures(rankings, qrels),
            "p50_ms": round(statistics.median(latencies), 3), "seconds": round(time.perf_counter() - started, 1)}
