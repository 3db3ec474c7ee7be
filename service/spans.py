"""Typed spans inside a sentence: numbers/amounts, names, dates and places (offsets into the text)."""

from __future__ import annotations

import re

from index.analysis import NUMBER_WORDS

SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
          "trillion": 1_000_000_000_000, "m": 1_000_000, "bn": 1_000_000_000}
_UNITS = sorted((w for w in NUMBER_WORDS if w not in ("hundred", "thousand")), key=len, reverse=True)
_WORD_NUMBER = r"(?:%s)(?:(?:[\s-]+(?:and\s+)?)(?:%s|hundred|thousand))*" % ("|".join(_UNITS), "|".join(_UNITS))
NUMBER = re.compile(
    r"(?<![\w.])(?:[£$€¥]\s?)?(?:\d+(?:[.,]\d+)*|" + _WORD_NUMBER + r")"
    r"(?:\s?%|\s+per\s?cent)?(?:\s+(?:hundred|thousand|million|billion|trillion)\b|(?<=\d)(?:m|bn)\b)?(?![\w])",
    re.I)
MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
          "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
DATE = re.compile(
    r"\b(?:(?:\d{1,2}(?:st|nd|rd|th)?\s+(?:%(m)s)\.?(?:,?\s+\d{4})?)|(?:(?:%(m)s)\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?)"
    r"|(?:(?:early|mid|late)[\s-]+)?(?:(?:%(m)s)\s+)?(?:1[5-9]\d\d|20\d\d)s?|(?:%(d)s)(?:\s+(?:morning|afternoon|evening|night))?"
    r"|\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)|(?:yesterday|today|tonight|last\s+(?:week|month|year|night)"
    r"|earlier\s+this\s+(?:week|month|year)|(?:the\s+)?(?:\d+(?:st|nd|rd|th)|\w+)\s+century))\b" % {"m": MONTHS, "d": DAYS},
    re.I)
NAME = re.compile(r"\b(?:[A-Z][\w'’.-]*|[A-Z]\.)(?:\s+(?:(?:of|the|de|la|van|von|al|and|for)\s+)?(?:[A-Z][\w'’.-]*))*")
PLACE = re.compile(
    r"\b(?:in|at|near|off|outside|inside|from|to|on|across|along)\s+((?:the|a|an)\s+)?"
    r"((?:[\w'’-]+\s+){0,3}?[\w'’-]+?)(?=[,.;:!?)”\"]|\s+(?:and|but|while|where|which|who|after|before|when|with|by|for|as|since|because|that)\b|$)")
_NOT_NAMES = {"The", "A", "An", "He", "She", "It", "They", "We", "I", "In", "On", "At", "But", "And", "This", "That",
              "These", "Those", "His", "Her", "Its", "Their", "Our", "There", "However", "Mr", "Mrs", "Ms", "Dr",
              "After", "Before", "When", "While", "If", "As", "For", "From", "With", "By", "To", "Of", "Sadly",
              "Ultimately", "Possibly", "Following", "Speaking", "What", "Who", "Where", "How", "Why", "Which"}
_TITLES = ("Mr", "Mrs", "Ms", "Dr", "Prof", "Sir", "Lord", "Lady", "President", "Minister", "Secretary")


def parse_number(text: str) -> float | None:
    """The value of a number phrase: '44,000' -> 44000, 'thirty-one' -> 31, '£54 million' -> 54e6."""
    t = text.lower().replace("per cent", "").replace("%", "").strip().lstrip("£$€¥").strip()
    total, current, seen = 0.0, 0.0, False
    for word in re.findall(r"\d+(?:[.,]\d+)*|[a-z]+", t):
        if word[0].isdigit():
            if re.fullmatch(r"\d{1,3}(?:,\d{3})+", word):
                word = word.replace(",", "")
            try:
                current += float(word.replace(",", "."))
            except ValueError:
                return None
            seen = True
        elif word in SCALES:
            current = (current or 1) * SCALES[word]
            if SCALES[word] >= 1000:
                total, current = total + current, 0.0
            seen = True
        elif word in NUMBER_WORDS:
            current += NUMBER_WORDS[word]
            seen = True
    return total + current if seen else None


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def numbers(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in NUMBER.finditer(text)]


def dates(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in DATE.finditer(text)]


def names(text: str) -> list[tuple[int, int]]:
    """Capitalised word runs, minus sentence-initial function words and bare titles."""
    out = []
    for m in NAME.finditer(text):
        start, end = m.span()
        words = m.group().split()
        while words and (words[0].rstrip(".") in _NOT_NAMES or words[0].rstrip(".") in _TITLES) and len(words) > 1:
            start = text.index(words[1], start + len(words[0]))
            words = words[1:]
        if words and words[0].rstrip(".") not in _NOT_NAMES and not (len(words) == 1 and words[0].isdigit()):
            out.append((start, end))
    return out


def places(text: str) -> list[tuple[int, int]]:
    """Prepositional place phrases ('in a French hospital' -> 'a French hospital')."""
    out = []
    for m in PLACE.finditer(text):
        start = m.start(1) if m.group(1) else m.start(2)
        phrase = text[start:m.end(2)]
        if any(w[:1].isupper() for w in m.group(2).split()) or re.search(
                r"\b(hospital|coast|city|town|port|beach|beaches|country|sea|border|village|court|camp|street|"
                r"centre|center|region|island|river|harbour|station|school|prison|capital|state|province)s?\b",
                phrase, re.I):
            out.append((start, m.end(2)))
    return out
