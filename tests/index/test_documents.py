
import re

import pytest
from hypothesis import given, settings, strategies as st

from index.documents import Document, load_corpus, parse_document, split_paragraphs
from tests.conftest import SHARED


def test_seed_documents_keep_the_seed_text_unchanged(corpus):
    seeds = sorted((SHARED / "seed_corpus").glob("*.txt"))
    if not seeds:
        pytest.skip("../shared/seed_corpus is absent")
    texts = {d.text for d in load_corpus(corpus)}
    assert texts == {p.read_text(encoding="utf-8") for p in seeds}


def test_seed_documents_have_readable_titles(corpus):
    titles = {d.id: d.title for d in load_corpus(corpus)}
    assert titles["uk-france-keep-all-options-on-the-table"].startswith("UK and France agree")
    assert all(" " in t and t[0].isupper() for t in titles.values())


def test_offsets_cut_out_every_paragraph_of_the_seeds(corpus):
    for doc in load_corpus(corpus):
        paragraphs = split_paragraphs(doc)
        assert len(paragraphs) > 15
        assert [p.number for p in paragraphs] == list(range(1, len(paragraphs) + 1))
        for p in paragraphs:
            assert doc.text[p.start:p.end] == p.text and p.text.strip() == p.text


def test_heading_lines_label_the_paragraphs_after_them(corpus):
    doc = next(d for d in load_corpus(corpus) if d.id.startswith("uk-france"))
    paragraphs = split_paragraphs(doc)
    treated = next(p for p in paragraphs if "two survivors" in p.text)
    assert treated.heading == "Five women and a girl among dead"
    assert all(p.text != "Five women and a girl among dead" for p in paragraphs)
    assert paragraphs[0].heading is None


def _doc(text: str, name: str = "t.txt") -> Document:
    return parse_document("t", name, text.encode("utf-8"))


@given(st.lists(st.text(alphabet=st.sampled_from("ab .\n\t\r’é"), max_size=40), max_size=12))
@settings(max_examples=200, deadline=None)
def test_offsets_invariant_holds_for_any_text(parts):
    doc = _doc("\n\n".join(parts))
    for p in split_paragraphs(doc):
        assert doc.text[p.start:p.end] == p.text and p.text.strip()


def test_long_paragraphs_split_at_sentence_boundaries():
    sentence = "Mr. Smith met Dr. Jones in the U.K. on a grey day with many words here. "
    doc = _doc(sentence * 40)
    paragraphs = split_paragraphs(doc)
    assert len(paragraphs) >= 2
    for p in paragraphs:
        assert len(p.text.split()) <= 250 and p.text.endswith(".") and doc.text[p.start:p.end] == p.text


def test_bom_crlf_and_html_visible_text():
    doc = parse_document("x", "x.txt", "\ufeffTitle line\r\n\r\nBody one.\r\n\r\nBody two.".encode("utf-8"))
    assert doc.text == "Title line\n\nBody one.\n\nBody two." and doc.title == "Title line"
    html = b"<html><head><title>My page</title><script>alert(1)</script><style>p{}</style></head>" \
           b"<body><h1>Head</h1><p>First &amp; <b>bold</b> para.</p><p>Second para.</p></body></html>"
    doc = parse_document("p", "p.html", html)
    assert doc.title == "My page"
    assert "alert" not in doc.text and "p{}" not in doc.text
    assert [p.text for p in split_paragraphs(doc)] == ["First & bold para.", "Second para."]


def test_markdown_front_matter_title():
    doc = parse_document("m", "m.md", b"---\ntitle: A Title\n---\nBody text.\n")
    assert (doc.title, doc.text) == ("A Title", "Body text.\n")


def test_unreadable_files_are_skipped_with_one_warning(tmp_path, caplog):
    (tmp_path / "good.txt").write_text("Fine text here.")
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "blob.md").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "cut.pdf").write_bytes(b"%PDF")
    (tmp_path / "ignored.exe").write_bytes(b"MZ")
    docs = load_corpus(tmp_path)
    assert [d.id for d in docs] == ["good"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 3 and any("latin.txt" in w for w in warnings) and any("blob.md" in w for w in warnings)
    assert any("cut.pdf" in w and "truncated" in w for w in warnings)


@pytest.mark.parametrize("name, doc_id", [("My File.TXT", "my-file"), ("a-.md", "a-"), ("v1.2.txt", "v1.2"),
                                          ("__init__.txt", "init__"), ("Ünïcode.md", "unicode"),
                                          ("日本語.txt", r"doc-[0-9a-f]{10}"), ("notes 日本.txt", r"notes-[0-9a-f]{10}")],
                         ids=["spaces-upper", "trailing-dash", "dots", "leading-underscores", "accents", "non-latin",
                              "mixed"])
def test_document_ids_are_slugs_and_a_slug_maps_to_itself(name, doc_id):
    from index.documents import document_id_for
    from service.web.validation import DOCUMENT_ID

    made = document_id_for(name)
    assert re.fullmatch(doc_id, made) and DOCUMENT_ID.fullmatch(made)
    assert document_id_for(made + ".md") == made


def test_non_latin_names_get_distinct_stable_ids():
    from index.documents import document_id_for

    names = ["日本語.txt", "😀.txt", "中文.txt", "notes.txt", "notes 日本.txt", "notes 中文.txt", "Ελληνικά.md"]
    ids = [document_id_for(n) for n in names]
    assert len(set(ids)) == len(ids) and ids == [document_id_for(n) for n in names]


def test_no_paragraph_is_unbounded_whatever_the_input():
    from index.documents.corpus import MAX_PARAGRAPH_CHARS, MAX_PARAGRAPH_WORDS

    words = " ".join(f"w{i % 977}x" for i in range(300_000))  # ~2 MB: no blank line, no sentence end
    for text in (words, "y" * 50_000 + " tail", "Short start.\n\n" + words):
        doc = _doc(text)
        paragraphs = split_paragraphs(doc)
        assert len(paragraphs) > 1
        for p in paragraphs:
            assert doc.text[p.start:p.end] == p.text
            assert len(p.text.split()) <= MAX_PARAGRAPH_WORDS and len(p.text) <= MAX_PARAGRAPH_CHARS
        assert "".join(p.text for p in paragraphs).replace(" ", "") == text.replace(" ", "").replace("\n", "")


def test_links_out_of_the_corpus_and_special_files_are_never_read(tmp_path, caplog):
    import os

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("Top secret outside text.")
    (corpus / "good.txt").write_text("Fine text here.")
    (corpus / "inside.txt").symlink_to(corpus / "good.txt")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "maps.txt").symlink_to("/proc/self/maps")
    (corpus / "up.txt").symlink_to("../secret.txt")
    (corpus / "dangling.txt").symlink_to(corpus / "missing.txt")
    os.mkfifo(corpus / "pipe.txt")
    docs = load_corpus(corpus)  # a FIFO would block a plain open(); it must not
    assert sorted(d.id for d in docs) == ["good", "inside"]
    assert not any("secret" in d.text or "root:" in d.text for d in docs)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert sorted(w.split(":")[0] for w in warnings) == [
        "skipped dangling.txt", "skipped maps.txt", "skipped passwd.txt", "skipped pipe.txt", "skipped up.txt"]
    from index.documents import read_corpus_file
    from index.errors import CorpusError

    with pytest.raises(CorpusError, match="outside the corpus"):
        read_corpus_file(corpus / "passwd.txt")


def test_atomic_write_never_follows_a_planted_link(tmp_path):
    from index.files import atomic_write

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = tmp_path / "doc.txt"
    target.symlink_to(victim)
    atomic_write(target, b"new text")
    assert victim.read_text() == "keep me" and target.read_bytes() == b"new text" and not target.is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
