"""Who says what: the speaker of a sentence that reports speech, with pronouns and titles resolved.

Reported speech has a few shapes, found without a parser: "X said (that) ...", "X told ...", "X, who
..., said ...", "'...,' he said", "'...,' said X", "according to X", with the verbs of saying below. The
speaker is the name, pronoun or role that stands as the verb's subject, outside quotations; a pronoun
is resolved to the person named before it in the document (references.antecedent), a surname to the
fullest form the document gave it, a role ("the mayor") to the name beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.analysis.sentences import sentence_spans

from .references import antecedent, facts, names_in, people, role_holder

SPEECH_VERBS = ("said says say told tells added adds vowed vows warned warns confirmed confirms insisted insists "
                "suggested suggests claimed claims argued argues explained explains stated states announced "
                "announces urged urges admitted admits noted notes replied replies wrote writes promised promises "
                "declared declares acknowledged acknowledges described describes asked asks hoped hopes "
                "believes believed thinks thought stressed stresses").split()
_VERB = re.compile(r"\b(?:" + "|".join(SPEECH_VERBS) + r"|call(?:ed|s)?\s+(?:on|for))\b", re.I)
_BETWEEN = re.compile(r"(?:\s*[,–—]\s*(?:who|which)\b[^,–—]{0,160}[,–—])?(?:\s+(?:also|later|then|has|had|have|once|again|"
                      r"previously|earlier|repeatedly|\w+ly))*\s*$", re.I)
_PRONOUN_SUBJECT = re.compile(r"\b(he|she)\s*$", re.I)
_ROLE_SUBJECT = re.compile(r"\bthe\s+((?:[A-Za-z]+\s+){0,3}[A-Za-z]+)\s*$", re.I)
_AFTER_QUOTE = re.compile(r"[,”\"’]\s*(?:" + "|".join(SPEECH_VERBS) + r")\s+(?:the\s+)?$", re.I)
_ACCORDING = re.compile(r"\baccording\s+to\s+$", re.I)
WINDOW = 20_000  # characters of the document before a sentence in which a pronoun's antecedent is found


@dataclass(frozen=True)
class Speaker:
    name: str        # as the document names the person in full ("Boris Johnson")
    start: int       # where that name is written in the document
    end: int
    mention: tuple[int, int]  # the subject as written in the sentence ("He", "Mr Johnson")


def reports_speech(sentence: str) -> bool:
    """Whether a sentence has a verb of saying or "according to" (a cheap test before finding the speaker)."""
    return bool(_VERB.search(sentence)) or "according to" in sentence.lower()


def speaker_of(sentence: str, document_text: str, sentence_start: int) -> Speaker | None:
    """The speaker of `sentence` (which starts at `sentence_start` in `document_text`), or None when it
    reports no speech or its subject cannot be told."""
    quotes = facts(sentence).quotes
    for verb in _VERB.finditer(sentence):
        if any(s < verb.start() < e for s, e in quotes):
            continue  # a verb inside a quotation is the quoted person's
        found = _subject_before(sentence, verb.start()) or _subject_after(sentence, verb.end())
        if found is not None:
            return _resolved(sentence, found, document_text, sentence_start)
    m = re.search(r"\baccording\s+to\s+", sentence, re.I)
    if m:
        after = _subject_after(sentence, m.end(), according=True)
        if after is not None:
            return _resolved(sentence, after, document_text, sentence_start)
    return None


def _subject_before(sentence: str, at: int) -> tuple[int, int, str] | None:
    """(start, end, kind) of the subject standing right before a verb of saying."""
    head = sentence[:at]
    between = _BETWEEN.search(head)
    head = head[:between.start()] if between else head
    pronoun = _PRONOUN_SUBJECT.search(head)
    if pronoun:
        return pronoun.start(1), pronoun.end(1), "pronoun"
    mentions = [m for m in names_in(head) if not m.quoted and head[m.end:].strip(" ’'s,") == ""]
    if mentions:
        return mentions[-1].start, mentions[-1].end, "name"
    role = _ROLE_SUBJECT.search(head)
    if role and role.group(1)[:1].isupper():
        return role.start(1), role.end(1), "role"
    return None


def _subject_after(sentence: str, at: int, according: bool = False) -> tuple[int, int, str] | None:
    """'..., said Gerald Darmanin' / 'according to French media': the name right after."""
    if not according and not _AFTER_QUOTE.search(sentence[:at] + " "):
        return None
    rest = sentence[at:]
    mentions = [m for m in names_in(rest) if rest[:m.start].strip() in ("", "the")]
    if mentions:
        return at + mentions[0].start, at + mentions[0].end, "name"
    pronoun = re.match(r"\s*(he|she)\b", rest, re.I)
    if pronoun and not according:
        return at + pronoun.start(1), at + pronoun.end(1), "pronoun"
    return None


def _resolved(sentence: str, found: tuple[int, int, str], text: str, sentence_start: int) -> Speaker | None:
    start, end, kind = found
    low = max(0, sentence_start - WINDOW)
    window = text[low:sentence_start + len(sentence)]
    at = sentence_start - low
    if kind == "pronoun":
        who = antecedent(sentence[start:end], window, at + start)
        return Speaker(who.name, low + who.start, low + who.end, (start, end)) if who else None
    if kind == "role":  # the name beside the role in the document, else the role as written ("the French authorities")
        who = role_holder(sentence[start:end], window)
        if who is not None:
            return Speaker(who.name, low + who.start, low + who.end, (start, end))
        return Speaker(sentence[start:end], sentence_start + start, sentence_start + end, (start, end))
    name = sentence[start:end]
    fuller = [m for m in people(names_in(window[:at + start]), window) if m.name.endswith(" " + name.split()[-1])
              and len(m.name) > len(name)]
    if fuller:
        return Speaker(fuller[-1].name, low + fuller[-1].start, low + fuller[-1].end, (start, end))
    return Speaker(name, sentence_start + start, sentence_start + end, (start, end))


def same_person(name: str, asked: str) -> bool:
    """Whether a speaker's name is the person a question names ("Boris Johnson" for "Johnson", "Councillor
    Hana Whitfield" for "Hana Whitfield"): the same last word, and the shorter's other words in the longer."""
    a, b = name.lower().split(), asked.lower().split()
    if not a or not b or a[-1] != b[-1]:
        return False
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return all(w in long for w in short[:-1])


def paragraph_speakers(paragraphs, number: int, document_text: str, reach: int = 2) -> list[Speaker | None]:
    """The speaker of each sentence of paragraph `number` (of `paragraphs`, a document's, in order). A
    sentence inside a quotation is the speaker's who closes it ("'We have to work together. [...],' he
    said"); a paragraph that opens a quotation with no one to close it continues the previous paragraph's
    speaker (news style: a quotation runs on over paragraphs), looked for `reach` paragraphs back."""
    paragraph = paragraphs[number - 1]
    text = paragraph.text
    spans = sentence_spans(text)
    found = [speaker_of(text[s:e], document_text, paragraph.start + s) for s, e in spans]
    for i in range(len(spans) - 1, -1, -1):  # a quoted sentence takes the speaker of the sentence closing it
        if found[i] is None and _quoted_sentence(text, spans[i]) and i + 1 < len(spans) and found[i + 1] is not None \
                and _quoted_sentence(text, spans[i + 1]):
            found[i] = found[i + 1]
    for i in range(1, len(spans)):  # ... or the speaker of the sentence that opened it
        if found[i] is None and found[i - 1] is not None and text[:spans[i][0]].count("“") > text[:spans[i][0]].count("”"):
            found[i] = found[i - 1]
    if text.lstrip()[:1] in _OPENING and reach and number > 1:
        carried = next((sp for sp in reversed(paragraph_speakers(paragraphs, number - 1, document_text, reach - 1))
                        if sp is not None), None)
        for i, (s, e) in enumerate(spans):
            if found[i] is not None or not _quoted_sentence(text, (s, e)):
                break
            found[i] = carried
    return found


_OPENING = "“\"‘"


def _quoted_sentence(text: str, span: tuple[int, int]) -> bool:
    """Whether the sentence is (or begins) a quotation: it opens one, or an open one runs through it."""
    before = text[:span[0]]
    open_quote = before.count("“") > before.count("”")
    return open_quote or text[span[0]:span[1]].lstrip()[:1] in _OPENING


_PERSON = (r"(?:[A-Z][\w'’.-]*(?:\s+(?:of|de|da|van|von|al|le|la|[A-Z][\w'’.-]*))*|"
           r"the\s+[a-z]+(?:\s+[a-z]+){0,3}(?:\s+of\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)?|he|she|they)")
# "What did X say?", "What did the mayor of Calais say about the British?": X's own words are asked for
_ASKED = re.compile(r"^\W*(?i:(?:and|so|but)\W+)?(?i:what)\s+(?i:else\s+)?(?i:did|does|do|has|had|have|will|would)\s+"
                    rf"({_PERSON})\s+(?i:say|tell|vow|warn|add|claim|announce|confirm|promise|insist|"
                    r"stress|argue|suggest|urge|admit|explain|state)(?:\s+(?:about|of|on|regarding|to\s+(?=the\b|[A-Z]))\s*[^?]+)?"
                    r"\s*\??\s*$")
_WHO_SAID = re.compile(r"^\W*(?:and\s+)?who\s+(?:" + "|".join(SPEECH_VERBS) + r"|call(?:ed|s)?\s+(?:on|for))\b", re.I)


def asked_person(question: str, paragraphs, speakers: "SpeakerCache") -> str | None:
    """Whom a "What did X say?" question asks about, a role ("the harbour master") taken as the name its
    documents give it (found in `paragraphs`, else in their documents); None for another question."""
    asked = asked_speaker(question)
    if asked is None or asked[:1].isupper():  # a name ("Tom Pursglove"), not a role ("mayor of Calais")
        return asked
    for p in paragraphs:
        holder = role_holder(asked, p.text) or role_holder(asked, speakers.document_text(p.document_id))
        if holder is not None:
            return holder.name
    return "the " + asked


def asked_speaker(question: str) -> str | None:
    """Whom "What did X say (tell, vow, warn ...)?" asks about: X, or None for another question."""
    m = _ASKED.match(question)
    if not m:
        return None
    name = re.sub(r"^(?:the|mr|mrs|ms|dr)\.?\s+", "", m.group(1).strip(), flags=re.I)
    return None if name.lower() in ("he", "she", "they", "it", "you", "i", "we") else name


def asks_who_said(question: str) -> bool:
    """"Who said ...?": the answer is the speaker."""
    return bool(_WHO_SAID.match(question))


class SpeakerCache:
    """The speakers of the paragraphs one request looks at, each document read once."""

    def __init__(self, index) -> None:
        self.index = index
        self._documents: dict[str, tuple] = {}
        self._paragraphs: dict[tuple[str, int], list[Speaker | None]] = {}

    def sentences(self, document: str, number: int) -> list[Speaker | None]:
        key = (document, number)
        if key not in self._paragraphs:
            paragraphs, text = self._document(document)
            self._paragraphs[key] = paragraph_speakers(paragraphs, number, text)
        return self._paragraphs[key]

    def _document(self, document: str) -> tuple:
        if document not in self._documents:
            self._documents[document] = (self.index.document_paragraphs(document), self.index.document(document).text)
        return self._documents[document]

    def sentences_paragraphs(self, document: str):
        return self._document(document)[0]

    def document_text(self, document: str) -> str:
        return self._document(document)[1]

    def speaks(self, document: str, number: int, name: str) -> bool:
        """Whether `name` speaks any sentence of the paragraph."""
        return any(sp is not None and same_person(sp.name, name) for sp in self.sentences(document, number))
