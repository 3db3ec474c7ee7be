import re

import pytest

from index.analysis import analyze, analyze_spans
from index.analysis.sentences import sentence_spans


@pytest.mark.parametrize("a, b", [
    ("survivors", "survivor"),
    ("two survivors", "2 survivors"),
    ("“haven’t been enough”", '"haven\'t been enough"'),
    ("co–operation", "co-operation"),
    ("44,000 people", "44000 people"),
], ids=["plural", "number-word", "curly-quotes", "dashes", "thousands"])
def test_variants_meet(a, b):
    assert set(analyze(a)) & set(analyze(b)) == set(analyze(b)) & set(analyze(a)) != set()
    assert set(analyze(b)) <= set(analyze(a)) or set(analyze(a)) <= set(analyze(b))


def test_numbers_stay_whole():
    terms = analyze("£54 million, 44,000 and 3.5 per cent on 24 November")
    for expected in ("£54", "54", "44000", "3.5", "24", "million"):
        assert expected in terms
    assert "44" not in terms and "000" not in terms


def test_hyphenated_compounds_give_their_joined_word_then_their_parts():
    assert analyze("IL-10 levels") == ["il10", "il", "10", "level"]
    assert "il10" in analyze("IL10") and {"il", "10"} <= set(analyze("IL 10"))
    assert analyze("anti‐inflammatory")[0] == analyze("antiinflammatory")[0]  # U+2010, the typographic hyphen
    assert analyze("the 1990-91 season") == ["1990", "91", "season"]  # no letter: no joined number
    text = "an IL-10 rise"
    assert analyze_spans(text)[:3] == [("il10", 3, 8), ("il", 3, 5), ("10", 6, 8)]


def test_stopwords_dropped_and_stems_used():
    assert analyze("How many of the survivors were treated?") == ["survivor", "treat"]


def test_spans_point_into_the_original_text():
    text = "Mr Darmanin said “two survivors” were treated."
    for term, start, end in analyze_spans(text):
        assert set(analyze(text[start:end])) >= {term} or term.isdigit()
    assert ("survivor", text.index("survivors"), text.index("survivors") + 9) in analyze_spans(text)


def test_sentences_respect_abbreviations():
    text = "Mr. Smith and Dr. Jones arrived in the U.K. on Monday. They left. St. Ives was next."
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == ["Mr. Smith and Dr. Jones arrived in the U.K. on Monday.", "They left.", "St. Ives was next."]


from hypothesis import given, settings, strategies as st  # noqa: E402


@given(st.text(alphabet=st.sampled_from("ab9 ,.'’£$€%-–\n\té"), max_size=80))
@settings(max_examples=300, deadline=None)
def test_fast_tokenizer_matches_nltk(text):
    from index.analysis.terms import _TOKEN_RE, TOKENIZER

    assert _TOKEN_RE.findall(text) == TOKENIZER.tokenize(text)
    assert [m.span() for m in _TOKEN_RE.finditer(text)] == list(TOKENIZER.span_tokenize(text))


def test_fast_tokenizer_matches_nltk_on_the_seeds(corpus):
    from index.analysis.terms import _TOKEN_RE, TOKENIZER

    for path in corpus.iterdir():
        text = path.read_text(encoding="utf-8")
        assert _TOKEN_RE.findall(text) == TOKENIZER.tokenize(text)


@pytest.mark.parametrize("text", ["IL-10 levels rose 3.5 per cent, to £54 million", "Mr Darmanin said “two survivors”",
                                  "the 1990-91 season's anti‐inflammatory co–operation", ""])
def test_spans_give_exactly_the_indexed_terms(text):
    assert [t for t, _, _ in analyze_spans(text)] == analyze(text)  # the index stores terms from the spans


@given(st.lists(st.sampled_from(["the", "he", "a", "9", "1,000", " ", ",", "-", "’", "s", "IL", "£", "%", "\n"]),
                max_size=40).map("".join))
@settings(max_examples=300, deadline=None)
def test_each_terms_offsets_are_its_tokens_match_in_the_text(text):
    # checked against the tokenizer's own match positions (the offsets are found without match objects)
    from index.analysis.terms import _TOKEN_RE, terms_for_token

    expected = []
    for m in _TOKEN_RE.finditer(text):
        parts = [(t, m.start() + p.start(), m.start() + p.end()) for p in re.finditer(r"\w+", m.group())
                 for t in terms_for_token(p.group())] if any(h in m.group() for h in "-‐‑") else []
        whole = terms_for_token(m.group())
        expected += [(t, m.start(), m.end()) for t in whole[:len(whole) - len(parts)]] + parts
    assert analyze_spans(text) == expected
