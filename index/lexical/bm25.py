"""Lucene's BM25, written once: every engine (the embedded matrix, the live overlay, the shard export) and
the answer sentence's local score call these, so a score means the same wherever it is computed.

    idf(t)     = ln(1 + (N - df + 0.5) / (df + 0.5))
    score(t,d) = idf(t) * tf / (tf + k1 * (1 - b + b * |d| / avgdl))

A paragraph is scored over three fields, each with its own lengths: its own terms ("body", heading and
text), the pairs of adjacent terms ("phrases": "joint patrols"), and its document's title ("titles").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from index.analysis import joined_then_part

FIELDS = ("body", "phrases", "titles")


@dataclass(frozen=True)
class Bm25Params:
    k1: float = 1.2
    b: float = 0.75

    def as_dict(self) -> dict:
        return {"variant": "lucene", "k1": self.k1, "b": self.b}

    def length_norm(self, length, average):
        """k1 x (1 - b + b x |d| / avgdl): with it, a term's part is idf x saturation(tf, norm)."""
        return self.k1 * (1 - self.b + self.b * length / average)


def lucene_idf(df, n):
    """Lucene's idf for a document frequency (or an array of them) among `n` paragraphs."""
    return np.log1p((n - df + 0.5) / (df + 0.5))


def saturation(tf, norm):
    """BM25's term-frequency part, tf / (tf + norm), in [0, 1)."""
    return tf / (tf + norm)


def average_length(total: float, count: int) -> float:
    """A field's average length over `count` paragraphs; 1 for an empty field (no division by zero)."""
    return total / count if count and total else 1.0


def phrase_lengths(lengths: np.ndarray) -> np.ndarray:
    """Each paragraph's phrase-field length: its adjacent pairs, one fewer than its terms."""
    return np.maximum(lengths - 1, 0)


def query_pairs(terms: Sequence[str]) -> list[tuple[str, str]]:
    """The question's adjacent analysed terms, the pairs its phrase field is searched with (each once, in
    order): never a compound's joined word with its own first part ("il10", "il"), which is one word."""
    return list(dict.fromkeys((a, b) for a, b in zip(terms, terms[1:]) if not joined_then_part(a, b)))


def pair_key(first: int, second: int) -> int:
    """The 64-bit key of a pair of term ids (index/lexical/fields.py keeps a sorted table of them)."""
    return (first << 32) | second
