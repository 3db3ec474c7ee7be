"""The question as the service understood it, in words a person reads ("What did Natacha Bouchart say?")."""

from __future__ import annotations

import re
from typing import Sequence

from .conversation import Resolution

_POSSESSIVE = {"his", "her", "hers", "its", "their", "theirs"}


def read_as(question: str, resolutions: Sequence[Resolution]) -> str:
    """`question` with each resolved pronoun or title replaced by the name it stands for; the question
    itself when nothing was resolved."""
    text = question.strip()
    for r in resolutions:
        name = r.name + "'s" if r.word.lower() in _POSSESSIVE else r.name
        text = re.sub(rf"\b{re.escape(r.word)}\b", name, text, count=1, flags=re.I)
    return text[:1].upper() + text[1:] if text != question.strip() else text
