"""The live index of segments ranks a new document where the rebuilt index will rank it."""

import shutil

import numpy as np
import pytest

from index import analyze, build_index, load_index
from index.lexical.layered import LayeredIndex
from service.qa.answers import answer_question

NEW = {"ferry-rescue": "Rescue crews said the survivors of the capsized dinghy were treated in a hospital in "
                       "Calais after the French coastguard brought them ashore.\n\nThe ferry company offered "
                       "blankets and food to the crews."}
QUESTIONS = ["where were the survivors treated", "survivors hospital Calais", "capsized dinghy coastguard",
             "who brought the survivors ashore", "ferry company blankets"]


def _key(hits):
    return [(h.paragraph.document_id, h.paragraph.number) for h in hits]


def _layered(corpus, tmp_path, written: dict[str, str | None]) -> tuple[LayeredIndex, object]:
    """(the live view right after the writes, the index rebuilt with them): what a server holds before
    and after its background rebuild."""
    build_index(corpus, tmp_path / "main")
    main = load_index(tmp_path / "main")
    overlay_corpus = tmp_path / "overlay-corpus"
    overlay_corpus.mkdir()
    for doc_id, text in written.items():
        for old in corpus.glob(f"{doc_id}.*"):
            old.unlink()
        if text is not None:
            (corpus / f"{doc_id}.txt").write_text(text)
            shutil.copy(corpus / f"{doc_id}.txt", overlay_corpus)
    build_index(overlay_corpus, tmp_path / "overlay", vocabulary=main.vocab_list)
    overlay = load_index(tmp_path / "overlay")
    live = LayeredIndex(main, overlay if overlay.num_paragraphs else None, frozenset(written))
    build_index(corpus, tmp_path / "main")
    return live, load_index(tmp_path / "main")


@pytest.mark.parametrize("question", QUESTIONS, ids=QUESTIONS)
def test_a_written_document_ranks_where_it_will_after_the_rebuild(corpus, tmp_path, question):
    live, rebuilt = _layered(corpus, tmp_path, NEW)
    terms = dict.fromkeys(analyze(question), 1.0)
    before, after = live.search_terms(terms, 10, phrase=analyze(question)), rebuilt.search_terms(
        terms, 10, phrase=analyze(question))
    assert "ferry-rescue" in {d for d, _ in _key(after)}
    assert _key(before)[:5] == _key(after)[:5]
    # same scores, up to the main segment keeping its own average paragraph length until the rebuild
    np.testing.assert_allclose([h.score for h in before[:5]], [h.score for h in after[:5]], rtol=0.03)
    assert [h.matched_terms for h in before[:5]] == [h.matched_terms for h in after[:5]]


def test_the_live_idf_counts_the_written_document_and_not_the_replaced_one(corpus, tmp_path):
    seed = sorted(p.stem for p in corpus.iterdir())[0]
    live, rebuilt = _layered(corpus, tmp_path, {**NEW, seed: None})  # one written, one deleted
    terms = ["survivor", "dinghi", "calai", "coastguard", "zzz-unknown"]
    np.testing.assert_allclose(live.idf(terms), rebuilt.idf(terms), rtol=1e-6)
    assert live.num_paragraphs == rebuilt.num_paragraphs
    assert all(h.paragraph.document_id != seed for h in live.search_terms({"survivor": 1.0}, 50))


def test_answers_from_the_live_view_match_the_rebuilt_index(corpus, tmp_path):
    live, rebuilt = _layered(corpus, tmp_path, NEW)
    for question in QUESTIONS:
        a, b = answer_question(live, question), answer_question(rebuilt, question)
        assert (a.answer and a.answer.text) == (b.answer and b.answer.text), question
