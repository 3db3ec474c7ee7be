"""Who "he", "she" and "the minister" are, without a model: names found by capitalisation, their gender
from titles and from the pronouns the document itself uses after them, the nearest agreeing one chosen.

Two rules from the classic pronoun heuristics (Hobbs; Lappin and Leass) do most of the work: a
subject pronoun refers back to a subject, so a name after a preposition ("speaking to Priti Patel,
he said") is passed over; and a name or pronoun inside a quotation belongs to the quoted speaker,
so both are passed over ("'... Boris Johnson ...,' she said").

What a text holds (its names, quotations, subjects, the genders found in it) is worked out once per
text and kept in a small cache, so asking about many names costs one pass over the text, not one each.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .parameters import count

PRONOUNS = {"he": "m", "him": "m", "his": "m", "himself": "m", "she": "f", "her": "f", "hers": "f", "herself": "f"}
_PRONOUN = re.compile(r"\b(he|him|his|himself|she|her|hers|herself)\b", re.I)
TITLES = {"mr": "m", "sir": "m", "lord": "m", "king": "m", "prince": "m", "mrs": "f", "ms": "f", "miss": "f",
          "lady": "f", "dame": "f", "queen": "f", "princess": "f"}
# Role words that stand before a name ("Home Secretary Priti Patel") and after "the" in a reference
# ("the minister"); the name they stand for is found in the text.
ROLES = frozenset("""president minister secretary mayor chancellor governor senator spokesman spokeswoman spokesperson
    chief captain commander general director chairman chairwoman leader premier ambassador officer inspector judge
    pope bishop professor doctor dr coach manager ceo founder author prime home foreign interior councillor councilor
    councilman councilwoman commissioner alderman deputy superintendent constable sheriff detective sergeant
    forecaster spokesperson executive""".split())
_MODIFIERS = frozenset({"prime", "home", "foreign", "interior"})  # stand before a role word, never alone
_PREPOSITIONS = frozenset("to with by from of for at on in about against than like into onto upon toward towards "
                          "between among under over after before".split())
_NAME_WORD = r"(?:[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)*|Mc[A-Z][a-z]+|O'[A-Z][a-z]+)"
_CONNECTORS = frozenset("de da del van von der le la bin al ibn".split())
_GAP = r"[^\S\n]+"  # spaces between a name's words: never a line break (a heading's name, then "She said")
_NAME = re.compile(rf"{_NAME_WORD}(?:{_GAP}(?:(?:{'|'.join(_CONNECTORS)}){_GAP})?{_NAME_WORD})*")
_CLAUSE_END = re.compile(r"[:;.!?\n“”\"]")
_QUOTE = re.compile(r"“[^”]*”?|\"[^\"\n]*\"?")
_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Sir|Lady|Dr)\.?\s*$")
# Capitalised words that begin sentences or name no one
_NOT_NAMES = frozenset("""the a an he she it they we i you his her its their our my this that these those there then
    when where why how what who which in on at by for from of to and but or if as after before since while during
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december yesterday today tomorrow however meanwhile also did does do was were is are
    has have had can could would will should may might must shall""".split())


@dataclass(frozen=True)
class Mention:
    name: str
    start: int
    end: int
    quoted: bool = False        # inside a quotation
    prepositional: bool = False  # right after a preposition: not a subject


@dataclass
class TextFacts:
    """What one text holds, worked out once: its name mentions, quotations and subject mentions."""

    text: str
    mentions: tuple[Mention, ...]
    quotes: tuple[tuple[int, int], ...]
    longer: frozenset[str]  # last words of the names of two or more words ("Johnson" of "Boris Johnson")
    subjects: tuple[Mention, ...] = ()
    genders: dict[str, str | None] = field(default_factory=dict)

    def inside_quote(self, pos: int) -> bool:
        return _inside(self.quotes, pos)


def _inside(spans, pos: int) -> bool:
    """Whether `pos` lies strictly inside one of `spans` (sorted, not overlapping)."""
    i = bisect.bisect_right(spans, (pos, pos)) - 1
    return any(s < pos < e for s, e in spans[max(i, 0):i + 2])


@lru_cache(maxsize=128)
def facts(text: str) -> TextFacts:
    quotes = tuple(m.span() for m in _QUOTE.finditer(text))
    mentions = tuple(_mentions(text, quotes))
    longer = frozenset(m.name.split()[-1] for m in mentions if " " in m.name)
    subjects = tuple(m for m in _people(mentions, longer, text) if not m.quoted and not m.prepositional)
    return TextFacts(text, mentions, quotes, longer, subjects)


def names_in(text: str) -> list[Mention]:
    """Proper-name mentions in `text`: runs of capitalised words, leading function words, titles and
    roles dropped ("The Prime Minister Boris Johnson said" -> "Boris Johnson")."""
    return list(facts(text).mentions)


def _mentions(text: str, quotes) -> list[Mention]:
    found = []
    for m in _NAME.finditer(text):
        words = [(w.group(0), m.start() + w.start()) for w in re.finditer(r"\S+", m.group(0))]
        while words and _skipped(words[0][0]):
            words = words[1:]
        if not words:
            continue
        start, end = words[0][1], m.end()
        owner = next((w for w in words if w[0].endswith(("'s", "’s"))), None)
        if owner is not None:  # "Tesla's" names Tesla; "the Government's Cobra committee" names the Government
            end = owner[1] + len(owner[0]) - 2
        previous = text[max(0, m.start() - 20):m.start()].split()
        after_preposition = bool(previous) and previous[-1].lower() in _PREPOSITIONS
        found.append(Mention(text[start:end], start, end, _inside(quotes, start), after_preposition))
    return found


def _skipped(word: str) -> bool:
    lower = word.lower().rstrip(".")
    return lower in _NOT_NAMES or lower in ROLES or lower in TITLES or lower in _CONNECTORS


def people(mentions, context: str, source: str | None = None) -> list[Mention]:
    """The mentions that look like people: two or more words, or one word that ends a longer name in
    `context` (a surname: "Johnson" after "Boris Johnson"; not "British" of "British Government") or
    follows a title in `source`, the text the mentions were found in (default: `context`)."""
    longer = facts(context).longer if context else frozenset()
    return _people(mentions, longer, context if source is None else source)


def _people(mentions, longer: frozenset[str], source: str) -> list[Mention]:
    out = []
    for m in mentions:
        titled = bool(source) and bool(_TITLED.search(source[max(0, m.start - 6):m.start]))
        if " " in m.name or m.name in longer or titled:
            out.append(m)
    return out


def gender(name: str, text: str) -> str | None:
    """'m' or 'f' from a title before the name, else from the first he/she-family pronoun, outside
    quotations, after each subject mention of the name (before another subject name claims it)."""
    known = facts(text)
    if name not in known.genders:
        known.genders[name] = _gender(name, known)
    return known.genders[name]


def _gender(name: str, known: TextFacts) -> str | None:
    text, last = known.text, name.split()[-1]
    subjects = known.subjects
    starts = [s.start for s in subjects]
    votes = {"m": 0, "f": 0}
    for m in re.finditer(rf"\b{re.escape(last)}\b", text):
        title = text[max(0, m.start() - 6):m.start()].strip().lower().rstrip(".").split()
        if title and title[-1] in TITLES:
            votes[TITLES[title[-1]]] += 3
            continue
        i = bisect.bisect_right(starts, m.start()) - 1
        if i < 0 or not subjects[i].start <= m.start() < subjects[i].end:
            continue
        mention = subjects[i]
        limit = reach = mention.end + count("gender_reach")
        for later in range(i + 1, len(subjects)):  # up to the next subject that is someone else
            if subjects[later].start >= reach or last not in subjects[later].name:
                limit = subjects[later].start
                break
        for p in _PRONOUN.finditer(text, mention.end, min(limit, reach)):
            if not known.inside_quote(p.start()):
                votes[PRONOUNS[p.group(1).lower()]] += 1
                break
    if votes["m"] == votes["f"]:
        return None
    return "m" if votes["m"] > votes["f"] else "f"


def pronoun_in(question: str) -> tuple[str, int, int] | None:
    """The first he/she-family pronoun of a question: (word, start, end)."""
    m = _PRONOUN.search(question)
    return (m.group(1), m.start(), m.end()) if m else None


def role_reference(question: str) -> tuple[str, int, int] | None:
    """'the minister', 'the prime minister', 'the French interior minister' in a question: (the words
    after 'the', start, end), ending at a role word."""
    for m in re.finditer(r"\bthe\s+((?:[A-Za-z]+\s+){0,2}?[A-Za-z]+)\b", question, re.I):
        words = m.group(1).split()
        if words[-1].lower() in ROLES - _MODIFIERS:
            return m.group(1), m.start(), m.end()
    return None


def role_holder(role: str, text: str) -> Mention | None:
    """The name a role stands next to in `text`, within its clause and with no other role or 'and'
    between ("mayor of Calais, Natacha Bouchart", "Bouchart, the mayor"); the closest pair wins.
    A role of several words ("interior minister") is looked for whole, else by its last word."""
    best: tuple[int, Mention] | None = None
    for phrase in dict.fromkeys((role, role.split()[-1])):
        for m in re.finditer(rf"\b{re.escape(phrase)}\b", text, re.I):
            after = people(names_in(text[m.end():m.end() + 60]), text, text[m.end():m.end() + 60])
            offset = max(0, m.start() - 60)
            before = people(names_in(text[offset:m.start()]), text, text[offset:m.start()])
            pairs = []
            if after:
                n = after[0]
                pairs.append((Mention(n.name, m.end() + n.start, m.end() + n.end), text[m.end():m.end() + n.start]))
            if before:
                n = before[-1]
                pairs.append((Mention(n.name, offset + n.start, offset + n.end), text[offset + n.end:m.start()]))
            for mention, gap in pairs:
                if _CLAUSE_END.search(gap) or _other_role(gap):
                    continue
                if best is None or len(gap) < best[0]:
                    best = (len(gap), mention)
        if best is not None:
            return best[1]
    return None


def _other_role(gap: str) -> bool:
    """Whether the words between a role and a name keep them apart: 'and', another role, or a verb
    ("the harbour master, has been criticised by the governor": not an apposition)."""
    words = re.findall(r"[a-z]+", gap.lower())
    return "and" in words or any(w in ROLES - _MODIFIERS or w in _VERBISH or w.endswith("ed") for w in words)


_VERBISH = frozenset("has have had is was were are be been being said says told".split())


def antecedent(pronoun: str, text: str, at: int, lookback: int = 5000) -> Mention | None:
    """The nearest subject name outside quotations in the `lookback` characters of `text` before `at`
    (where the pronoun stands) whose gender, judged over `text`, agrees with `pronoun`; else the
    nearest such name of unknown gender. Offsets are into `text`."""
    wanted = PRONOUNS[pronoun.lower()]
    unknown = None
    known = facts(text)
    starts = [m.start for m in known.mentions]
    low, high = bisect.bisect_left(starts, at - lookback), bisect.bisect_left(starts, at)
    mentions = [m for m in people(known.mentions[low:high], text) if m.end <= at]
    for mention in reversed(mentions):
        if mention.quoted or mention.prepositional:
            continue
        g = gender(mention.name, text)
        if g == wanted:
            return _fullest(mention, mentions)
        if g is None and unknown is None:
            unknown = mention
    return unknown and _fullest(unknown, mentions)


def _fullest(mention: Mention, mentions: list[Mention]) -> Mention:
    """A surname alone ("Mr Johnson") taken at the nearest earlier place that names the person in full
    ("Boris Johnson"), so the name shown is quoted where it is cited."""
    longer = [m for m in mentions if m.start < mention.start and m.name.endswith(" " + mention.name)]
    return max(reversed(longer), key=lambda m: len(m.name)) if " " not in mention.name and longer else mention
