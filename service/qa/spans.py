"""Typed spans inside a sentence: numbers/amounts, names, dates and places (offsets into the text)."""

from __future__ import annotations

import re

from index.analysis import NUMBER_WORDS

SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
          "trillion": 1_000_000_000_000, "m": 1_000_000, "bn": 1_000_000_000}
_UNITS = sorted((w for w in NUMBER_WORDS if w not in ("hundred", "thousand")), key=len, reverse=True)
_WORD_NUMBER = r"(?:%s)(?:(?:[\s-]+(?:and\s+)?)(?:%s|hundred|thousand))*" % ("|".join(_UNITS), "|".join(_UNITS))
_ONE_NUMBER = (r"(?:[£$€¥]\s?)?(?:\d+(?:[.,]\d+)*[½¼¾]?|" + _WORD_NUMBER + r")"
               r"(?:\s?%|\s+per\s?cent)?(?:\s+(?:hundred|thousand|million|billion|trillion)\b|(?<=\d)(?:m|bn)\b)?")
# One number, or a rising range ("30 to 50 thousand", "75,000 to 100,000"); "over 90" keeps its "over".
NUMBER = re.compile(
    r"(?<![\w.])(?:(?:over|more\s+than)\s+)?" + _ONE_NUMBER + r"(?:\s*(?:to|-|–)\s*" + _ONE_NUMBER + r")?(?![\w])", re.I)
_RANGE_SPLIT = re.compile(r"\s*(?:\bto\b|(?<=\d)\s*[-–]\s*(?=\d))\s*", re.I)
MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
          "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
DATE = re.compile(
    r"\b(?:(?:\d{1,2}(?:st|nd|rd|th)?\s+(?:%(m)s)\.?(?:,?\s+\d{4})?)|(?:(?:%(m)s)\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?)"
    r"|(?:(?:early|mid|late)[\s-]+)?(?:(?:%(m)s)\s+)?(?:1[5-9]\d\d|20\d\d)s?|(?:%(d)s)(?:\s+(?:morning|afternoon|evening|night))?"
    r"|\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)|(?:yesterday|today|tonight|last\s+(?:week|month|year|night)"
    r"|earlier\s+this\s+(?:week|month|year)|(?:the\s+)?(?:\d+(?:st|nd|rd|th)|\w+)\s+century))\b" % {"m": MONTHS, "d": DAYS},
    re.I)
_NAME_WORD = r"(?:(?:[A-Z]\.)+(?!\w)|[A-Z][\w'’-]*)"  # "J." / "U.S." initials, or a capitalised word
NAME = re.compile(r"\b" + _NAME_WORD + r"(?:\s+(?:(?:of|the|de|la|van|von|al|and|for)\s+)?" + _NAME_WORD + r")*")
PLACE = re.compile(
    r"\b(?:in|at|near|off|outside|inside|from|to|on|across|along)\s+((?:the|a|an)\s+)?"
    r"((?:[\w'’-]+\s+){0,3}?[\w'’-]+?)(?=[,.;:!?)”\"]|\s+(?:and|but|while|where|which|who|after|before|when|with|by|for|as|since|because|that)\b|$)")
_NOT_NAMES = {"The", "A", "An", "He", "She", "It", "They", "We", "I", "In", "On", "At", "But", "And", "This", "That",
              "These", "Those", "His", "Her", "Its", "Their", "Our", "There", "However", "Mr", "Mrs", "Ms", "Dr",
              "After", "Before", "When", "While", "If", "As", "For", "From", "With", "By", "To", "Of", "Sadly",
              "Ultimately", "Possibly", "Following", "Speaking", "What", "Who", "Where", "How", "Why", "Which"}
_CALENDAR = re.compile(f"(?:{DAYS}|{MONTHS})", re.I)
_TITLES = ("Mr", "Mrs", "Ms", "Dr", "Prof", "Sir", "Lord", "Lady", "President", "Minister", "Secretary", "Home",
           "Foreign", "Prime", "Interior", "Chancellor", "General", "Chief", "Senator", "Governor", "Mayor", "King",
           "Queen", "Prince", "Princess", "Pope", "Bishop", "Captain", "Judge", "Justice", "Vice")


def parse_number(text: str) -> float | None:
    """The value of a number phrase: '44,000' -> 44000, 'thirty-one' -> 31, '£54 million' -> 54e6.

    A range counts as its first value; a leading 'over' is ignored."""
    t = _RANGE_SPLIT.split(text.lower(), maxsplit=1)[0]
    t = re.sub(r"^(?:over|more than)\s+", "", t).replace("½", ".5").replace("¼", ".25").replace("¾", ".75")
    t = t.replace("per cent", "").replace("%", "").strip().lstrip("£$€¥").strip()
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
    """Number phrases; a 'range' that falls ("315 to 194", a score like "49–15") is two numbers."""
    spans = []
    for m in NUMBER.finditer(text):
        parts = _RANGE_SPLIT.split(m.group(), maxsplit=1)
        if len(parts) == 2:
            low, high = parse_number(parts[0]), parse_number(parts[1])
            if low is None or high is None or low >= high or "–" in m.group() and not re.search(r"[a-z]", parts[1], re.I):
                second = m.start() + m.group().rindex(parts[1])
                spans += [(m.start(), m.start() + len(parts[0])), (second, second + len(parts[1]))]
                continue
        spans.append(m.span())
    return spans


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
        tail = re.search(r"(?:['’]s|(?<=\w\w)\.)$", text[start:end])  # "France." and "Government's" end before
        end = end - len(tail.group()) if tail else end
        if words and words[0].rstrip(".") not in _NOT_NAMES and not (len(words) == 1 and words[0].isdigit()) \
                and not (len(words) == 1 and _CALENDAR.fullmatch(words[0].rstrip(".’'s"))) and end > start:
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
