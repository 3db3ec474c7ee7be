"""One analyzer for paragraphs and questions: tokenize -> fold -> lower-case -> stopwords -> stem.

Tokens come from nltk's RegexpTokenizer (no data files). Numbers stay whole ("44,000" -> "44000",
"3.5", "£54" also gives "54"); number words also give their digits ("two" -> "2") so questions
and passages meet either way. A hyphenated compound also gives its joined word ("IL-10" -> "il10",
"il", "10"). Stemming is nltk's Snowball English stemmer, memoised per token.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer

ANALYSIS_VERSION = 3
HYPHENS = "-‐‑"  # hyphen-minus, hyphen, non-breaking hyphen: they join a compound ("IL-10")
TOKEN_PATTERN = rf"\w+(?:[{HYPHENS}]\w+)+|[£$€¥]?\d+(?:[.,]\d+)*%?|\w+(?:['’]\w+)*"

# nltk's English stopword list (shipped here so nothing is downloaded), plus question fillers.
STOPWORDS = frozenset(
    """
    i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves
    he him his himself she she's her hers herself it it's its itself they them their theirs themselves
    what which who whom this that that'll these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on off over
    under again further then once here there when where why how all any both each few more most other
    some such no nor not only own same so than too very s t can will just don don't should should've
    now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn
    hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn
    shouldn't wasn wasn't weren weren't won't wouldn wouldn't
    many much
    """.split()
)

# Irregular past forms the stemmer cannot join to their verb ("spoke" -> "speak"); regular ones it can.
IRREGULAR_VERBS = {past: base for base, forms in (line.split(":") for line in """
    arise:arose,arisen awake:awoke,awoken bear:borne beat:beaten become:became begin:began,begun
    bend:bent bite:bit,bitten blow:blew,blown break:broke,broken breed:bred bring:brought
    build:built burn:burnt buy:bought catch:caught choose:chose,chosen come:came creep:crept deal:dealt
    dig:dug draw:drew,drawn drink:drank,drunk drive:drove,driven eat:ate,eaten fall:fell,fallen feed:fed
    feel:felt fight:fought find:found flee:fled fly:flew,flown forbid:forbade,forbidden forget:forgot,forgotten
    forgive:forgave,forgiven freeze:froze,frozen get:got,gotten give:gave,given go:went,gone grow:grew,grown
    hang:hung hear:heard hide:hid,hidden hold:held keep:kept kneel:knelt know:knew,known lay:laid lead:led
    lend:lent lie:lain lose:lost make:made mean:meant meet:met pay:paid ride:rode,ridden
    ring:rang,rung rise:rose,risen run:ran say:said see:saw,seen seek:sought sell:sold send:sent shake:shook,shaken
    shine:shone shoot:shot show:shown shrink:shrank,shrunk sing:sang,sung sink:sank,sunk sit:sat sleep:slept
    slide:slid speak:spoke,spoken spend:spent spin:spun stand:stood steal:stole,stolen stick:stuck sting:stung
    strike:struck swear:swore,sworn sweep:swept swim:swam,swum swing:swung take:took,taken teach:taught
    tear:tore,torn tell:told think:thought throw:threw,thrown understand:understood wake:woke,woken
    wear:wore,worn weep:wept win:won withdraw:withdrew,withdrawn write:wrote,written
    """.split()) for past in forms.split(",")}

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "thousand": 1000, "dozen": 12,
}

_FOLD = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"',
                       "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-"})
TOKENIZER = RegexpTokenizer(TOKEN_PATTERN)  # nltk's tokenizer defines what a token is
# nltk >= 3.10 runs every match under a ReDoS timeout guard (about 20 us per paragraph). This fixed
# pattern is linear (no nested quantifiers over the same text), so the hot path runs the very same
# pattern with `re`; tests pin both to identical tokens.
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_WORD_RE = re.compile(r"\w+")  # the parts of a hyphenated compound
_stemmer = SnowballStemmer("english")
_CURRENCY = "£$€¥"


def settings() -> dict:
    """What an index records so that questions are analysed exactly as its paragraphs were."""
    return {"version": ANALYSIS_VERSION, "tokenizer": TOKEN_PATTERN, "stemmer": "snowball-english",
            "stopwords": len(STOPWORDS)}


def fold(text: str) -> str:
    """NFKC, accents removed ("Möngke" -> "mongke"), curly quotes and dashes folded, lower-case."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    if text.isascii():
        return text
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", stripped)


@lru_cache(maxsize=1 << 18)
def terms_for_token(token: str) -> tuple[str, ...]:
    """The index terms one raw token contributes (none for stopwords).

    A hyphenated compound ("IL-10", "anti-inflammatory") gives its joined word ("il10") first, when it
    has a letter, then each part's terms, so "IL10", "IL-10" and "IL 10" all meet."""
    if _is_compound(token):
        parts = tuple(t for part in _WORD_RE.findall(token) for t in terms_for_token(part))
        joined = fold(token).replace("-", "")
        return ((_stemmer.stem(joined),) if any(c.isalpha() for c in joined) else ()) + parts
    word = fold(token)
    if word[0] in _CURRENCY or word[0].isdigit():
        number = _normalize_number(word.lstrip(_CURRENCY).rstrip("%"))
        return (word[0] + number, number) if word[0] in _CURRENCY else (number,)
    if word in STOPWORDS:
        return ()
    stem = _stemmer.stem(IRREGULAR_VERBS.get(word, word))
    value = NUMBER_WORDS.get(word)
    return (stem, str(value)) if value is not None else (stem,)


def joined_then_part(first: str, second: str) -> bool:
    """Whether two adjacent terms are a compound's joined word and its own first part ("il10", "il"):
    the same word twice, not two words side by side (a prefix test, so it can err only towards that)."""
    return len(first) > len(second) and first.startswith(second)


def _is_compound(token: str) -> bool:
    return any(h in token for h in HYPHENS)


def _normalize_number(number: str) -> str:
    parts = number.split(",")
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]) and parts[1:] and "." not in parts[0]:
        return "".join(parts)
    return number


def analyze(text: str) -> list[str]:
    """Index terms of `text`, in order (the same function for paragraphs and questions)."""
    out: list[str] = []
    for token in _TOKEN_RE.findall(text):
        out.extend(terms_for_token(token))
    return out


def analyze_spans(text: str) -> list[tuple[str, int, int]]:
    """(term, start, end) for every term, with offsets into `text` as given."""
    terms, starts, ends = analyze_columns(text)
    return list(zip(terms, starts, ends))


def analyze_columns(text: str) -> tuple[list[str], list[int], list[int]]:
    """analyze_spans as three lists (terms, starts, ends): what indexing stores, built without a tuple per
    term or a match object per token (each token is found from where the last one ended: tokens are
    consecutive matches and nothing between two of them can start one)."""
    terms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position, find = 0, text.find
    for token in _TOKEN_RE.findall(text):
        at = find(token, position)
        position = at + len(token)
        found, begin, end = token_columns(token)
        if len(found) == 1:
            terms.append(found[0])
            starts.append(at + begin[0])
            ends.append(at + end[0])
        elif found:
            terms += found
            starts += [at + b for b in begin]
            ends += [at + e for e in end]
    return terms, starts, ends


@lru_cache(maxsize=1 << 18)
def token_columns(token: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """A token's terms and their offsets inside it: a compound's joined word spans the whole of it, each
    part's terms only the part."""
    terms = terms_for_token(token)
    if not _is_compound(token):
        return terms, (0,) * len(terms), (len(token),) * len(terms)
    parts = [(t, m.start(), m.end()) for m in _WORD_RE.finditer(token) for t in terms_for_token(m.group())]
    joined = len(terms) - len(parts)
    return (terms, (0,) * joined + tuple(b for _, b, _ in parts),
            (len(token),) * joined + tuple(e for _, _, e in parts))
