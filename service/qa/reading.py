"""How a question is read in its conversation: whether it leans on the history, and the question as
understood, in words a person reads (`read_as`: "What did Natacha Bouchart say?" for "What did she say?").

A question leans on the conversation when it refers to something it does not name (he, she, they, it,
"the mayor"), or leaves it out ("What about France?", "Why?", "What else?"). Each reference is put back
as the entity it stands for, chosen from the conversation's candidates in order of salience (after
Lappin and Leass, without a parser): what the previous answer answered (the name a "who" question got,
the thing a "how many" question counted), who and what the previous question named, the previous
answer's people, the document's own subject (a title that is a name: an encyclopedia page), then older
turns. People must agree in gender with the pronoun; "they" wants a group, "it" a thing. A question
that names its own subject is read as it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from index.analysis import STOPWORDS, analyze

from .answer_span import span_of
from .questions import question_kind
from .references import PRONOUNS, gender, names_in, people, role_holder, role_reference

_REFERENCE = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|theirs|it|its)\b", re.I)  # not "himself"
_DEMONSTRATIVE = re.compile(r"\b(this|these|those)\b(?!\s+(?:year|week|month|morning|evening|time|season|century))|"
                            r"\b(that)\s*\??\s*$", re.I)
_KIND = {**dict.fromkeys(("he", "him", "his", "himself", "she", "her", "hers", "herself"), "person"),
         **dict.fromkeys(("they", "them", "their", "theirs", "themselves"), "group"),
         **dict.fromkeys(("it", "its", "itself"), "thing")}
_POSSESSIVE = frozenset({"his", "its", "their", "theirs", "hers"})
_EXPLETIVE_IT = re.compile(r"\bit\s+(?:is|was|be|been|takes?|took|seems?|seemed|costs?|cost)\b(?=.*\b(?:to|that|when|if)\b)|"
                           r"\b(?:is|was|does|did|will|would|how\s+long\s+did)\s+it\s+(?:take|cost|mean|matter|called|"
                           r"known|named|considered|said)\b|\bit\s+(?:is|was)\s+(?:not\s+)?(?:called|known|considered|"
                           r"said|thought|believed)\b", re.I)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*\??\s*$|^\s*and\s+(?!what\b|how\b|why\b|who\b|"
                         r"when\b|where\b|then\b)(.+?)\s*\?\s*$", re.I)
_ELSE = re.compile(r"^\s*(?:and\s+)?(what|who|where|which)\s+(?:else|other)\b\s*\??\s*$|^\s*(?:and\s+)?"
                   r"anything\s+(?:else|more)\s*\??\s*$", re.I)
_NEXT = re.compile(r"^\s*(?:and\s+)?(?:what\s+(?:happened\s+)?(?:next|then|after\s+that)|(?:and\s+)?then\s+what|"
                   r"tell\s+me\s+more|go\s+on|more|and\s+then|and\s+the\s+other(?:\s+one)?)\b", re.I)
_BARE = re.compile(r"^\s*(?:and\s+)?(why|how|when|where|who|what)(?:\s+(?:so|not|exactly|then))?\s*\??\s*$", re.I)
_CONTINUES = re.compile(r"^\s*(?:and|also|so|but)\b", re.I)
_WH_AUX = re.compile(r"^\s*(what|who|where|when|which|how)\s+(?=(?:did|does|do|is|was|were|are|has|have|had|will|"
                     r"would|can|could)\b)", re.I)
_THE_PHRASE = re.compile(r"\bthe\s+([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)?)", re.I)
_ARTICLE_STOP = frozenset("""of in on at to for from with by about and or but that which who is are was were be been
    being has have had do does did will would can could should may might must""".split())
_CONTENT_RUN = re.compile(r"\b[a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)*")
_WH = re.compile(r"^(?:what|who|whom|whose|which|when|where|why|how|could|would|should|can|may|might|must|shall|will|"
                 r"there|were|was|did|does|do|have|has|had|is|are|be|been)$", re.I)
_NAME_TITLE = re.compile(r"^[A-Z0-9][\w'’.-]*(?:\s+(?:[A-Z0-9(][\w'’().-]*|of|the|and|de|van|von|la|le))*$")
ROLE_QUESTION_TERMS = 4  # a question with more words of its own names its subject: its "the president" is not a reference
SHORT_ANSWER_WORDS = 8  # an answer this short, mostly capitalised, is itself a name
EXCERPT_WORDS = 10  # of the last answer, quoted in a reading of "Why?" or "What happened next?"


@dataclass(frozen=True)
class Resolution:
    word: str   # as written in the question: "she", "the mayor"
    name: str   # what it stands for: "Natacha Bouchart", "the survivors"
    start: int  # where the word stands in the question
    end: int


@dataclass(frozen=True)
class Entity:
    text: str            # as written in a reading: "Natacha Bouchart", "the survivors"
    kind: str            # person | group | thing
    gender: str | None = None


@dataclass(frozen=True)
class Reading:
    text: str                             # the question as understood (read_as)
    leans: bool                           # whether it leans on the conversation at all
    resolutions: tuple[Resolution, ...]   # the references put back, in the question's order
    ellipsis: str | None                  # "next", "else", "about", or a bare wh-word ("why", "how", ...)


def alone(question: str) -> Reading:
    return Reading(question.strip(), False, (), None)


def read_question(question: str, turns, context_text: str, titles: list[str], answered_by: Sequence[str] = (),
                  depth: int = 0) -> Reading:
    """The reading of `question` after `turns` (oldest first). `context_text` is where genders and role
    holders are judged (the focus documents), `titles` the focus documents' titles, `answered_by` who a
    pronoun leading the last answer is ("He said ..." -> Boris Johnson)."""
    text = question.strip()
    if not turns:
        return alone(text)
    previous = read_question(turns[-1].question, turns[:-1], context_text, titles, (), depth + 1) \
        if depth == 0 else alone(turns[-1].question)
    ellipsis = _ellipsis(text)
    if ellipsis is not None:
        if ellipsis[0] == "about" and previous.ellipsis in ("next", "why", "how", "when", "where", "who", "what"):
            previous = _last_full(turns, context_text, titles)  # "What about France?" after "Why?": the question before
        return Reading(_elided(text, ellipsis, previous.text, turns[-1].answer), True, (), ellipsis[0])
    references = _references(text)
    if not references:  # "And how many survived?" goes on with the conversation's subject, in its own words
        return Reading(text, True, (), None) if _CONTINUES.match(text) or not analyze(text) else alone(text)
    candidates = _candidates(turns, previous.text, context_text, titles, answered_by)
    found = []
    for word, start, end, kind in references:
        if kind == "demonstrative":
            continue  # "this", "these": what they point at is in the conversation, not a name to put back
        if kind == "role":
            holder = role_holder(word, context_text)
            if holder is not None:
                found.append(Resolution(text[start:end], holder.name, start, end))
            continue
        entity = _choose(word, kind, candidates, context_text)
        if entity is not None:
            found.append(Resolution(word, entity.text, start, end))
    rewritten = _substituted(text, found)
    about = [t for t in subjects(titles) if t.split()[-1].lower() not in rewritten.lower()]
    if about and len(found) < len([r for r in references if r[3] != "role"]):  # something left unresolved
        rewritten = f"{rewritten} (about {about[0]})"
    return Reading(rewritten, True, tuple(found), None)


def _last_full(turns, context_text: str, titles: list[str]) -> Reading:
    """The reading of the newest earlier question that is not itself a bare follow-up."""
    for n in range(len(turns) - 1, -1, -1):
        if _ellipsis(turns[n].question) is None:
            return read_question(turns[n].question, turns[:n], context_text, titles, (), 1)
    return alone(turns[-1].question)


def _ellipsis(text: str) -> tuple[str, str] | None:
    """("about", X) for "What about X?", ("else", wh) for "What else?", ("next", "") for "What happened
    next?", (wh, "") for a bare "Why?"; None for a question with words of its own."""
    m = _WHAT_ABOUT.match(text)
    if m:
        return "about", (m.group(1) or m.group(2)).strip()
    m = _ELSE.match(text)
    if m:
        return "else", (m.group(1) or "what").lower()
    if _NEXT.match(text):
        return "next", ""
    m = _BARE.match(text)
    if m:
        return m.group(1).lower(), ""
    return None


def _elided(text: str, ellipsis: tuple[str, str], previous: str, answer: str | None) -> str:
    """The elided question written out from the previous question (as it was read) and answer."""
    kind, rest = ellipsis
    frame = previous.rstrip(" ?.!")
    if kind == "about":
        swapped = _swap_like(frame, rest)
        return (swapped or f"{frame} about {rest}") + "?"
    if kind == "else":
        m = _WH_AUX.match(frame)
        if m:
            return f"{frame[:m.end(1)]} else{frame[m.end(1):]}?"
        return f"{rest.capitalize()} else, after: {frame}?"
    excerpt = _excerpt(answer)
    if not excerpt:
        return text
    if kind == "next":
        return f"What happened after “{excerpt}”?"
    verb = "is" if kind in ("why", "how") else "was"
    return f"{kind.capitalize()} {verb} it that “{excerpt}”?"


def _swap_like(frame: str, new: str) -> str | None:
    """"How many people died in France" + "Britain" -> "... in Britain": a name of the same sort in the
    previous question gives way to the new one (a person for a person, a place after a preposition for
    a name); None when there is none (then the new words are what the question is "about")."""
    mentions = names_in(frame)
    new_people = people(names_in(new), frame + "\n" + new, new)
    for m in reversed(mentions):
        is_person = bool(people([m], frame, frame))
        after_preposition = m.prepositional
        if (new_people and is_person) or (not new_people and not is_person and after_preposition and new[:1].isupper()):
            return frame[:m.start] + new + frame[m.end:]
    return None


def _excerpt(answer: str | None) -> str:
    words = (answer or "").strip(" \"'“”‘’").split()
    if not words:
        return ""
    return " ".join(words[:EXCERPT_WORDS]).rstrip(",;:.") + ("…" if len(words) > EXCERPT_WORDS else "")


def _references(text: str) -> list[tuple[str, int, int, str]]:
    """The words of `text` that stand for something it does not name: (word, start, end, kind)."""
    found = []
    for m in _REFERENCE.finditer(text):
        word = m.group(1)
        kind = _KIND[word.lower()]
        if kind == "thing" and _EXPLETIVE_IT.search(text) or _named_before(text[:m.start(1)], kind):
            continue
        found.append((word, m.start(1), m.end(1), kind))
    for m in _DEMONSTRATIVE.finditer(text):
        word = m.group(1) or m.group(2)
        found.append((word, m.start(), m.start() + len(word), "demonstrative"))
    role = role_reference(text)
    if role is not None and not names_in(text) and not re.match(r"\s+(?:of|for|at|in)\s+[A-Z]", text[role[2]:]) \
            and len(set(analyze(text))) <= ROLE_QUESTION_TERMS:
        found.append((role[0], role[1], role[2], "role"))  # "the mayor", not "the mayor of Calais"
    return sorted(found, key=lambda r: r[1])


def _named_before(head: str, kind: str) -> bool:
    """Whether the question itself names what a pronoun stands for, before it ("What did the Broncos call
    their stadium?", "When did Tesla say he would return?"): then it leans on nothing."""
    if kind == "person":
        return any(m.start > 0 or " " in m.name for m in names_in(head))
    capitalised = re.search(r"(?<=\s)[A-Z][\w'’-]*", head)  # a name or an acronym after the first word ("UPT")
    return bool(capitalised) or bool(_THE_PHRASE.search(head)) or any(
        _plural(w) for w in re.findall(r"[a-z]+", head.lower()) if kind == "group")


def _candidates(turns, previous: str, context_text: str, titles: list[str], answered_by: Sequence[str]) -> list[Entity]:
    """Entities a reference may stand for, most salient first: what the last answer answered and who its
    "He" was, what the previous question named, the document's own subject (a title that is a name),
    the last answer's people, the previous question's plurals ("joint police patrols"), then older turns."""
    last = turns[-1]
    # an encyclopedia page's conversation is about its subject before anyone its answers name in passing
    out: list[Entity] = [_subject(name, context_text) for name in subjects(titles)]
    span = _answered(last.question, last.answer)
    if span:
        out.append(_entity(span, context_text))
    out += [_entity(name, context_text) for name in answered_by]
    out += _mentioned(previous, context_text)
    out += _people_in(last.answer, context_text)
    out += _plurals(previous)
    for turn in reversed(turns[-4:-1]):
        span = _answered(turn.question, turn.answer)
        out += [_entity(span, context_text)] if span else []
        out += _mentioned(turn.question, context_text) + _people_in(turn.answer, context_text)
    first: dict[str, Entity] = {}
    for entity in out:
        first.setdefault(entity.text, entity)  # each once, at its most salient place
    return list(first.values())


def _subject(name: str, context_text: str) -> Entity:
    """A document's subject: a person of its gender, or of either when it cannot be told (a band, a
    ship); a group when its name says so."""
    entity = _entity(name, context_text)
    return Entity(entity.text, "subject", entity.gender) if entity.kind == "person" else entity


def subjects(titles: list[str]) -> list[str]:
    """The subjects of documents whose title is a name ("Frank Zappa", "Pinhead (Hellraiser)" -> Pinhead)."""
    return [re.sub(r"\s*\(.*?\)", "", t).strip() for t in titles if _NAME_TITLE.match(t) and len(t.split()) <= 6]


def _people_in(answer: str | None, context_text: str) -> list[Entity]:
    if not answer:
        return []
    return [_entity(m.name, context_text) for m in people(names_in(answer), context_text + "\n" + answer, answer)
            if not m.quoted]


def _answered(question: str, answer: str | None) -> str | None:
    """What the previous answer answered: the name a "who" question got, or the thing a "how many"
    question counted ("the survivors"); None for other questions."""
    if answer and len(answer.split()) <= SHORT_ANSWER_WORDS and answer.strip()[:1].isupper() \
            and sum(w[:1].isupper() for w in answer.split()) * 2 >= len(answer.split()):
        return answer.strip(" .")  # a short answer that is a name: "Zappa and the Mothers of Invention"
    kind = question_kind(question)
    if kind == "quantity":
        words = re.search(r"how\s+(?:many|much)\s+((?:[a-z]+\s+){0,2}?[a-z]+s)\b", question, re.I)
        return f"the {words.group(1).lower()}" if words else None
    return span_of(question, answer) if kind == "who" and answer else None


def _mentioned(question: str, context_text: str) -> list[Entity]:
    """Who and what a question names: its people, then its "the ..." phrases."""
    out = [_entity(m.name, context_text) for m in people(names_in(question), context_text + "\n" + question, question)]
    for m in _THE_PHRASE.finditer(question):
        words: list[str] = []
        for w in m.group(1).split():
            if w.lower() in _ARTICLE_STOP or (w.lower().endswith("ed") and words):
                break
            words.append(w.lower())
        if words and not (set(words) & {"mayor", "minister", "president", "secretary"}):
            phrase = "the " + " ".join(words)
            out.append(Entity(phrase, "group" if _plural(words[-1]) else "thing"))
    return out


def _plurals(question: str) -> list[Entity]:
    """"joint police patrols": the plurals a question names without an article."""
    out = []
    for m in _CONTENT_RUN.finditer(question):
        words = [w for w in m.group(0).split() if w.lower() not in STOPWORDS and not _WH.match(w)]
        if words and _plural(words[-1]) and words[-1].islower():
            out.append(Entity(" ".join(words), "group"))
    return out


def _plural(word: str) -> bool:
    return word in _IRREGULAR_PLURALS or len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics"))


_IRREGULAR_PLURALS = frozenset("people men women children police staff crew".split())


def _entity(name: str, context_text: str) -> Entity:
    if " and " in name or (name.lower().startswith("the ") and name.endswith("s")) or \
            (name[:1].isupper() and name.split()[-1].endswith("s") and len(name.split()) > 1 and not name.endswith("'s")):
        return Entity(name, "group")
    g = gender(name, context_text + "\n" + name) if name[:1].isupper() else None
    return Entity(name, "person" if name[:1].isupper() else "thing", g)


def _choose(word: str, kind: str, candidates: list[Entity], context_text: str) -> Entity | None:
    """The first candidate of the reference's kind (a person: of its gender, else of unknown gender)."""
    if kind == "person":
        wanted = PRONOUNS[word.lower()]
        fitting = [c for c in candidates if c.kind in ("person", "subject") and c.gender == wanted
                   or c.kind == "subject" and c.gender is None]
        unknown = [c for c in candidates if c.kind == "person" and c.gender is None]
        return next(iter(fitting or unknown), None)
    if kind == "group":
        return next((c for c in candidates if c.kind == "group" or c.kind == "subject" and c.gender is None), None)
    return next((c for c in candidates if c.kind == "thing" or c.kind == "subject" and c.gender is None), None)


def _substituted(text: str, found: list[Resolution]) -> str:
    """`text` with each resolved word replaced ("his" -> "Boris Johnson's"); capitalised at the start."""
    out, pos = [], 0
    for r in sorted(found, key=lambda r: r.start):
        name = r.name + ("'s" if r.word.lower() in _POSSESSIVE or _possessive_her(text, r) else "")
        if r.start == 0:
            name = name[:1].upper() + name[1:]
        out += [text[pos:r.start], name]
        pos = r.end
    result = "".join(out) + text[pos:]
    return result[:1].upper() + result[1:] if found else text


def _possessive_her(text: str, r: Resolution) -> bool:
    """'her offer' (possessive) rather than 'send her a list' (object)."""
    if r.word.lower() != "her":
        return False
    after = re.match(r"\s+([a-z]+)", text[r.end:])
    return after is not None and after.group(1) not in _ARTICLE_STOP | {"a", "an", "the", "this", "that", "to", "now", "again"} \
        and not analyze(after.group(1)) == []
