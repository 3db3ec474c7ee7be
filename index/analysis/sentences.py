"""Sentence splitting with nltk's Punkt, using abbreviations this project provides (no downloads)."""

from __future__ import annotations

from functools import lru_cache

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

# Punkt stores abbreviations lower-case and without the final period.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st sr jr gen col lt sgt capt cmdr rev hon gov sen rep pres
    u.k u.s u.n e.u u.s.a u.a.e a.m p.m e.g i.e etc vs v no nos fig figs approx est
    jan feb mar apr jun jul aug sep sept oct nov dec inc ltd co corp dept univ mt ft
    """.split()
)


@lru_cache(maxsize=1)
def _tokenizer() -> PunktSentenceTokenizer:
    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


@lru_cache(maxsize=8192)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(_tokenizer().span_tokenize(text))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in `text`; `text[start:end]` is each sentence. Memoised: the same
    paragraphs come back question after question, and Punkt costs about a millisecond a paragraph."""
    return list(_spans(text))
