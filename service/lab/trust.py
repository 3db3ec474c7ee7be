"""Numbers and quotes you can trust: figure and speech questions (service/lab/data/figures-and-speech.json).

Figure questions: a disagreement lists only values of the question's own measure (an entry with a value
the sources do not state of that measure is "foreign"), lists them all when two documents state
different ones, and marks each revised figure with the value that replaced it. Speech questions: the
answer sentence is spoken by the person asked about ("What did X say?", "Who said ...?").
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from index import build_index, load_index
from index.errors import InvalidInputError

from ..qa.answers import answer_question
from ..qa.speakers import same_person
from .evaluation import with_semantic

FORMAT = "docqa-trust-v1"


def load_trust_set(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT}")
        for q in data["questions"]:
            if not isinstance(q["question"], str) or ("values" not in q and "speaker" not in q):
                raise ValueError(f"question {q.get('question')!r} needs values or a speaker")
        for doc in data["documents"]:
            doc["id"], doc["title"], doc["text"]  # noqa: B018 - each document needs them
    except FileNotFoundError:
        raise InvalidInputError(f"{path} does not exist") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInputError(f"{path} is not a {FORMAT} file ({type(exc).__name__}: {exc})") from None
    return data


def _index(folder: Path, documents: list[dict] | None, corpus: Path | None, semantic: bool):
    if documents is not None:
        corpus = folder / "corpus"
        corpus.mkdir(parents=True)
        for doc in documents:
            (corpus / f"{doc['id']}.md").write_text(f"---\ntitle: {doc['title']}\n---\n{doc['text']}", encoding="utf-8")
    elif corpus is None:
        raise ValueError("documents or a corpus folder are needed")
    build_index(corpus, folder / "index")
    index = load_index(folder / "index", verify=False)
    with_semantic(index, semantic)
    return index


def judge_figures(question: dict, result) -> dict:
    values = set(question["values"])
    found = {d.value: d for d in result.disagreement}
    foreign = [v for v in found if v not in values]
    wanted = len(values) > 1
    revised = question.get("revised", {})
    return {"foreign": len(foreign), "complete": (set(found) == values) if wanted else not found,
            "revisions": len(revised), "revisions_marked": sum(
                1 for earlier, later in revised.items() if earlier in found and found[earlier].superseded_by == later)}


def judge_speech(question: dict, result) -> bool:
    speaker = result.answer.speaker if result.answer is not None else None
    return speaker is not None and same_person(speaker["name"], question["speaker"])


def evaluate_trust(path: Path, corpus: Path, semantic: bool = True) -> dict:
    data = load_trust_set(path)
    tally = {"figure_questions": 0, "foreign_entries": 0, "complete": 0, "revisions": 0, "revisions_marked": 0,
             "speech_questions": 0, "speaker_right": 0}
    misses = []
    with tempfile.TemporaryDirectory(prefix="docqa-trust-") as tmp:
        indexes = {"own": _index(Path(tmp) / "own", data["documents"], None, semantic),
                   "seed": _index(Path(tmp) / "seed", None, Path(corpus), semantic)}
        for q in data["questions"]:
            result = answer_question(indexes[q.get("corpus", "own")], q["question"])
            if "values" in q:
                judged = judge_figures(q, result)
                tally["figure_questions"] += 1
                tally["foreign_entries"] += judged["foreign"]
                tally["complete"] += judged["complete"]
                tally["revisions"] += judged["revisions"]
                tally["revisions_marked"] += judged["revisions_marked"]
                if judged["foreign"] or not judged["complete"] or judged["revisions_marked"] < judged["revisions"]:
                    misses.append({"question": q["question"], "disagreement": [d.value for d in result.disagreement]})
            else:
                tally["speech_questions"] += 1
                right = judge_speech(q, result)
                tally["speaker_right"] += right
                if not right:
                    misses.append({"question": q["question"], "answer": result.answer.text if result.answer else None})
    return {**tally,
            "complete_share": round(tally["complete"] / max(tally["figure_questions"], 1), 4),
            "revisions_marked_share": round(tally["revisions_marked"] / max(tally["revisions"], 1), 4),
            "speaker_accuracy": round(tally["speaker_right"] / max(tally["speech_questions"], 1), 4),
            "misses": misses}
