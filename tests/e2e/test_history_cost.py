"""What a history can make a real `docqa serve` do: the largest valid one is answered quickly, and four at
once leave /api/health answering (issue #35: it took 14 s of CPU each and starved health for 82 s)."""

import random
import threading
import time

import pytest
import requests

from service.qa.conversation import MAX_HISTORY_TURNS
from service.web.validation import MAX_ANSWER_CHARS, MAX_CITATIONS, MAX_QUESTION_CHARS

pytestmark = pytest.mark.server
FIRST = "Anna Boris Carla Dmitri Elena Frank Grace Hugo Irene Jack Kofi Lena".split()
LAST = "Smith Jones Patel Macron Bouchart Johnson Darmanin Lee Kim Ng Okafor Silva".split()


def _names_text(rng: random.Random, length: int) -> str:
    """Text that is all names and "he": a question's "she" finds no one, so every name is weighed."""
    words = []
    while sum(map(len, words)) + len(words) < length:
        words.append(f"{rng.choice(FIRST)} {rng.choice(LAST)}{rng.choice([' and he', ','])}")
    return " ".join(words)[:length]


def largest_valid_history(documents: list[str]) -> list[dict]:
    rng = random.Random(7)
    return [{"question": _names_text(rng, MAX_QUESTION_CHARS), "answer": _names_text(rng, MAX_ANSWER_CHARS),
             "citations": [{"document": rng.choice(documents), "paragraph": rng.randint(1, 20)}
                           for _ in range(MAX_CITATIONS)]} for _ in range(MAX_HISTORY_TURNS)]


def test_the_largest_valid_history_is_answered_quickly_and_never_starves_health(server):
    s = server()
    documents = [d["id"] for d in requests.get(f"{s.url}/api/documents", timeout=5).json()["documents"]]
    body = {"question": "What did she say?", "history": largest_valid_history(documents)}
    started = time.monotonic()
    alone = requests.post(f"{s.url}/api/ask", json=body, timeout=60)
    assert alone.status_code == 200
    assert time.monotonic() - started < 3  # was 14 s (47 s with this text)

    took, health = [], []

    def ask() -> None:
        t = time.monotonic()
        assert requests.post(f"{s.url}/api/ask", json=body, timeout=60).status_code == 200
        took.append(time.monotonic() - t)

    askers = [threading.Thread(target=ask) for _ in range(4)]
    for t in askers:
        t.start()
    while any(t.is_alive() for t in askers):
        t0 = time.monotonic()
        assert requests.get(f"{s.url}/api/health", timeout=30).status_code == 200
        health.append(time.monotonic() - t0)
    for t in askers:
        t.join()
    assert len(took) == 4 and max(took) < 5, took
    assert max(health) < 2, health  # was 82 s with four at once
