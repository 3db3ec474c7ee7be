"""Fields searched beside a paragraph's own terms: phrases and the document title.

Phrases: each pair of adjacent terms in a paragraph is a term of its own. A pair of term ids (a, b)
is the exact 64-bit key a << 32 | b; a sorted table of the keys seen in the corpus gives each pair a
dense id, so no strings or vocabulary file are needed. Matching a question's adjacent terms rewards
paragraphs that say the same phrase ("joint patrols").

Titles: every paragraph also carries its document's title terms as a separate field, so a question
naming a document's subject finds its paragraphs without title words inflating the body scores.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from index.lexical.bm25 import pair_key


def pair_keys(flat: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys of adjacent term pairs within each paragraph, and their per-paragraph offsets."""
    if len(flat) < 2:
        return np.zeros(0, np.uint64), np.zeros(len(offsets), np.int64)
    left, right = flat[:-1].astype(np.uint64), flat[1:].astype(np.uint64)
    keys = (left << np.uint64(32)) | right
    valid = np.ones(len(keys), dtype=bool)
    boundaries = offsets[1:-1]
    valid[boundaries[(boundaries > 0) & (boundaries <= len(keys))] - 1] = False  # pairs across paragraphs
    counts = np.maximum(np.diff(offsets) - 1, 0)
    pair_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(counts, out=pair_offsets[1:])
    return keys[valid], pair_offsets


def build_phrases(flat: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dense pair ids, their offsets, the sorted key table) for a corpus of term-id paragraphs."""
    keys, pair_offsets = pair_keys(flat, offsets)
    table, ids = np.unique(keys, return_inverse=True)
    return ids.astype(np.int32), pair_offsets, table


def phrase_pair_ids(table: np.ndarray, vocab: Mapping[str, int], pairs: list[tuple[str, str]]) -> np.ndarray:
    """Dense ids of the question's adjacent term pairs (bm25.query_pairs) that occur in the corpus: both
    terms known and their key in the sorted `table`."""
    keys = sorted({pair_key(vocab[a], vocab[b]) for a, b in pairs if a in vocab and b in vocab})
    if not keys or len(table) == 0:
        return np.zeros(0, np.int64)
    wanted = np.array(keys, dtype=np.uint64)
    pos = np.minimum(np.searchsorted(table, wanted), len(table) - 1)
    return pos[table[pos] == wanted].astype(np.int64)


def title_field(title_flat: np.ndarray, title_offsets: np.ndarray, paragraphs_per_document: np.ndarray):
    """Per-paragraph (flat, offsets) of the title field: each paragraph repeats its document's title terms."""
    lengths = np.diff(title_offsets)
    per_paragraph = np.repeat(lengths, paragraphs_per_document)
    offsets = np.zeros(len(per_paragraph) + 1, dtype=np.int64)
    np.cumsum(per_paragraph, out=offsets[1:])
    chunks = [np.tile(title_flat[title_offsets[d]:title_offsets[d + 1]], int(n))
              for d, n in enumerate(paragraphs_per_document.tolist())]
    flat = np.concatenate(chunks).astype(np.int32) if chunks else np.zeros(0, np.int32)
    return flat, offsets
