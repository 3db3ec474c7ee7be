"""What a question asks: its type, its focus, and the weighted terms to search (with follow-ups)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.analysis import analyze

from .parameters import count, parameter

# Words that name the same countable thing; lets "how many died" read "31 bodies" or "loss of 31 lives".
# Stems (as analyze() produces them). Used to find the value a passage gives, and lightly in search.
FAMILIES = (
    ("die", "dead", "death", "kill", "live", "bodi", "fatal", "toll", "drown", "lost", "loss", "victim"),
    ("survivor", "surviv"),
    ("injur", "wound", "hurt"),
    ("arrest", "detain", "held", "custodi"),
    ("migrant", "refuge", "asylum", "seeker"),
)
FOLLOW_ON_WORDS = "else next happened happen more other then anything tell go on"  # "What else?" and kin
# verbs that ask what someone said or did without naming it: "What did she say?", "What did he do?"
OPEN_VERBS = "say said says tell told do did does done think thought add added want wanted mean meant"
_TYPES = [
    ("quantity", re.compile(r"^\W*(?:(?:and|so|but|also|then|ok|okay)\W+)*"
                            r"(?:how\s+(?:many|much)|what\s+(?:number|percentage|amount)|"
                            r"what\s+(?:was|is)\s+the\s+(?:number|death\s+toll|toll|amount|cost|population))\b", re.I)),
    ("when", re.compile(r"^\s*(?:and\s+)?(?:when|what\s+(?:year|day|date|time|month|century|decade)|"
                        r"in\s+what\s+(?:year|month|century)|on\s+what\s+(?:day|date))\b", re.I)),
    ("who", re.compile(r"^\s*(?:and\s+)?(?:who|whom|whose|which\s+(?:person|man|woman|organi[sz]ation|company|group))\b",
                       re.I)),
    ("where", re.compile(r"^\s*(?:and\s+)?(?:where|in\s+what\s+(?:city|country|place|state)|what\s+(?:city|country|place)"
                         r"|which\s+(?:city|country|place|hospital))\b", re.I)),
]


@dataclass(frozen=True)
class Question:
    text: str
    kind: str                 # quantity | when | who | where | other
    terms: tuple[str, ...]    # analysed terms of the question itself, in order
    focus: tuple[str, ...]    # for quantity: the counted thing's terms ("how many survivors" -> survivor)
    search: dict[str, float]  # term -> weight actually searched
    follow_up: bool


_COUNT = re.compile(r"^\W*(?:(?:and|so|but|also|then|ok|okay)\W+)*how\s+many\b", re.I)
# counted things that say nothing of what is counted ("how many people died": the measure is "died")
GENERIC_COUNTS = frozenset({"peopl", "person", "time", "number", "total", "amount", "year", "day"})


def asks_how_many(text: str) -> bool:
    """A count ("how many ...", "And how many ...?"), not a share, a sum or an amount: the one place
    that decides it (question kinds, answer spans and disagreement all ask here)."""
    return bool(_COUNT.match(text))


def question_kind(text: str) -> str:
    for kind, pattern in _TYPES:
        if pattern.search(text):
            return kind
    return "other"


_AUXILIARY = re.compile(r"\b(?:did|does|do|were|was|are|is|have|has|had|will|would|can|could|should|may|might|"
                        r"in|of|on|at|for|from|to|with|by|during|per|that|which|who|after|before|since)\b", re.I)


def counted_thing(text: str) -> tuple[str, ...]:
    """The counted noun phrase of a quantity question: "how many square kilometres of ..." -> squar kilometr."""
    m = re.search(r"how\s+(?:many|much)\s+(.*)", text, re.I)
    if not m:
        return ()
    phrase = _AUXILIARY.split(m.group(1), maxsplit=1)[0]
    return tuple(analyze(phrase))


def family_of(term: str) -> tuple[str, ...]:
    """The related-word family of a term (in a fixed order), or just the term itself."""
    for family in FAMILIES:
        if term in family:
            return family
    return (term,)


def parse_question(text: str, previous: dict | None = None, idf=None, names: tuple[str, ...] = ()) -> Question:
    """Type, focus and weighted search terms. For a follow-up, `previous` is the last turn (its question
    and answer: the question's words join the search, and the answer's most salient, `idf(terms)`, with
    lower weights) and `names` what the reading put in its place (a resolved pronoun's name, searched
    in full). A question that does not lean on the conversation is parsed with neither."""
    terms = analyze(text)
    if previous is not None:  # "What else did he say?": 'else' asks for more, it is not a word to find
        filler = set(analyze(FOLLOW_ON_WORDS))
        terms = [t for t in terms if t not in filler]
    kind = question_kind(text)
    focus = tuple(terms)
    if kind == "quantity":
        focus = counted_thing(text) or tuple(terms)
    search: dict[str, float] = dict.fromkeys(terms, 1.0)
    for name in names:
        for term in analyze(name):
            search.setdefault(term, 1.0)
    if previous is not None:
        for term in analyze(previous.get("question", "")):
            search.setdefault(term, parameter("history_question_weight"))
        answer_terms = [t for t in dict.fromkeys(analyze(previous.get("answer") or "")) if t not in search]
        if answer_terms and idf is not None:
            ranked = sorted(zip(idf(answer_terms), answer_terms), reverse=True)[:count("history_answer_terms")]
            for _, term in ranked:
                search.setdefault(term, parameter("history_answer_weight"))
    if kind == "quantity":
        unknown = {t for t, v in zip(terms, idf(terms)) if v == 0} if idf is not None else set()
        for term in list(search):
            # a word the documents never use ("survived") is stood in for by its family at full weight
            weight = search[term] if term in unknown else parameter("family_weight") * search[term]
            for related in family_of(term):
                search[related] = max(search.get(related, 0.0), weight) if related != term else search[term]
    return Question(text, kind, tuple(terms), focus, search, previous is not None)


def describe_query(search: dict[str, float]) -> str:
    """The searched terms as text, Lucene-style boosts for lower weights: 'treat survivor^0.6'."""
    return " ".join(t if w == 1.0 else f"{t}^{w:g}" for t, w in search.items())
