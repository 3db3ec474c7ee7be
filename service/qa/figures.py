"""What a figure counts: the measure of a number in a sentence, and the measure a counting question asks.

A number's measure comes from the words around it, read in order: the counted thing right after it
("31 bodies", "two survivors"), then what happened to it within its clause ("27 people had died", "34
people were believed to be on the boat", "four suspected people traffickers had been arrested"), then the
words before it ("the loss of 31 lives", "the death toll rose to 31"). Measures are families of words
(died: dead, death, killed, bodies, lives lost, toll ...); a number whose words name none of them is
measured by its counted noun ("12 ministers"). Word numbers are numbers ("three" = 3).

A sentence may also say a figure was revised ("previously stated there were 31 deaths but the death toll
was revised down", "27, down from 31"): the earlier value and, when the sentence gives it, the later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.analysis import IRREGULAR_VERBS, STOPWORDS, analyze

from . import spans as typed

# measure -> the stems (analyze()'s terms) or phrases that name it
MEASURES = {
    "died": ("die", "dead", "death", "kill", "fatal", "toll", "drown", "bodi", "live", "perish", "victim"),
    "survived": ("survivor", "surviv", "rescu", "aliv"),
    "aboard": ("aboard", "board", "passeng", "onboard", "carri"),
    "missing": ("miss", "unaccount"),
    "injured": ("injur", "wound", "hurt", "hospitalis", "hospitaliz"),
    "arrested": ("arrest", "detain", "custodi", "charg"),
    "evacuated": ("evacu", "displac", "flee", "fled"),
}
_ON_BOARD = re.compile(r"\b(?:on|onto|in)\s+(?:the|a|that|this|their)\s+(?:boat|ship|vessel|dinghy|plane|bus|train|"
                       r"craft|flight|raft)\b|\bon\s+board\b", re.I)
_LEFT_HOME = re.compile(r"\b(?:left|fled|leave|flee)\s+(?:their|his|her|the)\s+homes?\b", re.I)
_CLAUSE_END = re.compile(r"[.;:!?]|,\s*(?:while|but|and|although|whereas)\b|\b(?:while|whereas|but|although)\b|"
                         r"\band\s+(?=(?:[£$€¥]?\d|one|two|three|four|five|six|seven|eight|nine|ten)\b)", re.I)
_REVISION = re.compile(r"\b(?:revised|corrected|updated|amended|previously|initially|originally|first\s+(?:reported|"
                       r"said|stated|put)|earlier\s+(?:reported|said|stated|figure)|(?:been|was|were)\s+(?:\w+\s+)?"
                       r"(?:put|estimated|given)\s+at|"
                       r"(?:down|up)\s+from|rather\s+than|not\s+\d+\s+as)\b", re.I)
_LATER = re.compile(r"\b(?:revised|corrected|updated|raised|lowered|increased|reduced|changed|rose|risen|fallen|fell|"
                    r"climbed|grown)\s+(?:(?:up|down|sharply|again)\s+)?to\s+$", re.I)
_EARLIER = re.compile(r"\b(?:previously|initially|originally|first|earlier|from|rather\s+than|not)\b[^.;]{0,60}$", re.I)
REACH = 60  # characters after a number in which its measure is looked for, within its clause ...
BEFORE = 100  # ... and before it
_NO_ONE = re.compile(r"\b(?:no|any|every|each|some|the|this|that|which|other|another)\s+$", re.I)  # "no one died"
_VERBS = frozenset("die dies survive survives remain remains go went come came".split())


@dataclass(frozen=True)
class Figure:
    value: str          # digits ("31")
    measure: str        # "died", or the counted noun's stem
    start: int          # the number's offsets in the text it was read from
    end: int
    noun: str | None    # the counted noun's stem, when one follows the number


@dataclass(frozen=True)
class Revision:
    earlier: str        # the value a text says was revised
    later: str | None   # the value it was revised to, when the same sentence gives it


def measure_of_question(text: str) -> tuple[str | None, str | None]:
    """(measure, counted noun) a counting question asks for: "how many people died" -> (died, peopl);
    "how many survivors" -> (survived, survivor); "how many were on the boat" -> (aboard, None)."""
    m = re.search(r"how\s+many\s+(.*)", text, re.I)
    if not m:
        return None, None
    return _read(m.group(1), "")


def counted_measure(question: str) -> str | None:
    """The known measure (MEASURES) a counting question asks for, or None."""
    measure, _ = measure_of_question(question)
    return measure if measure in MEASURES else None


def counts(measure: str, texts) -> bool:
    """Whether any of `texts` gives a figure of `measure`."""
    return any(f.measure == measure for text in texts for f in figures_in(text))


def off_measure(question: str, sentences: dict) -> frozenset:
    """The keys of `sentences` (key -> text) whose figures all count something other than what a
    counting question asks ("how many were on the boat?" is not answered by "27 people died"), when
    another sentence counts what it asks; empty when the question's measure is not a known one."""
    measure = counted_measure(question)
    if measure is None:
        return frozenset()
    counted = {key: {f.measure for f in figures_in(text)} for key, text in sentences.items()}
    if not any(measure in measures for measures in counted.values()):
        return frozenset()
    return frozenset(key for key, measures in counted.items()
                     if measures and measure not in measures and measures <= MEASURES.keys())


def figures_in(text: str) -> list[Figure]:
    """Every number of `text` with its measure (years, shares and amounts of money left out); a number
    whose own words name no measure takes the one another number of the sentence has ("revised to 27,
    down from 31")."""
    found = []
    previous_end = 0  # the words before a number belong to it only back to the number before
    for s, e in typed.numbers(text):
        token = text[s:e]
        value = typed.parse_number(token)
        if value is None or _is_year(token) or re.search(r"[£$€¥%]|per\s?cent", token, re.I) \
                or token.lower() == "one" and _NO_ONE.search(text[:s]):
            continue
        after = text[e:e + REACH]
        cut = _CLAUSE_END.search(after)
        before = text[max(previous_end, s - BEFORE):s]
        previous_end = e
        ends = list(_CLAUSE_END.finditer(before))
        measure, noun = _read(after[:cut.start()] if cut else after, before[ends[-1].end():] if ends else before)
        found.append((s, e, typed.format_number(value), measure, noun))
    measures = {m for *_, m, _ in found if m}
    only = measures.pop() if len(measures) == 1 and _REVISION.search(text) else None
    return [Figure(value, named, s, e, noun) for s, e, value, measure, noun in found if (named := measure or only)]


def _read(after: str, before: str) -> tuple[str | None, str | None]:
    """(measure, counted noun) of a number from the words after it (the counted noun phrase, then what
    happened to it) and, failing those, before it."""
    words = after.split()
    lead = []
    for word in words:
        bare = word.strip(".,;:!?\"'“”‘’()").lower()
        if not bare or bare in STOPWORDS or bare.endswith("ed") or bare in _VERBS or bare in IRREGULAR_VERBS:
            break
        lead.append(bare)
        if word[-1] in ",;:)":  # "9 workers, police said": the noun phrase ends at the comma
            break
    noun_terms = analyze(" ".join(lead))
    noun = noun_terms[-1] if noun_terms else None
    predicate = " ".join(words[len(lead):])
    measure = _measure_in(predicate) or _measure_in(" ".join(lead)) or _measure_in(before) or noun
    return measure, noun


def revision_in(text: str, figures: list[Figure]) -> Revision | None:
    """The revision a sentence reports among its figures (of one measure), or None."""
    if not _REVISION.search(text) or not figures:
        return None
    later = [f for f in figures if _LATER.search(text[:f.start])]  # "a figure later corrected to eight"
    earlier = [f for f in figures if _EARLIER.search(text[:f.start])] or [
        f for f in figures if later and f is not later[0] and f.measure == later[0].measure and f.start < later[0].start]
    if not earlier:
        return None
    first = earlier[-1]
    after = next((f.value for f in later if f is not first and f.measure == first.measure), None) or next(
        (f.value for f in figures if f is not first and f.measure == first.measure), None)
    return Revision(first.value, after)


def _measure_in(text: str) -> str | None:
    if _ON_BOARD.search(text):
        return "aboard"
    if _LEFT_HOME.search(text):
        return "evacuated"
    for term in analyze(text):
        for measure, stems in MEASURES.items():
            if term in stems:
                return measure
    return None


def _is_year(token: str) -> bool:
    return token.isdigit() and len(token) == 4 and 1500 <= int(token) <= 2100
