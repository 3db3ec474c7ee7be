
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
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    docs = load_corpus(tmp_path)
    assert [d.id for d in docs] == ["good"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2 and any("latin.txt" in w for w in warnings) and any("blob.md" in w for w in warnings)


@pytest.mark.parametrize("name, doc_id", [("My File.TXT", "my-file"), ("a-.md", "a-"), ("v1.2.txt", "v1.2"),
                                          ("__init__.txt", "init__"), ("Ünïcode.md", "n-code")],
                         ids=["spaces-upper", "trailing-dash", "dots", "leading-underscores", "unicode"])
def test_document_ids_are_slugs_and_a_slug_maps_to_itself(name, doc_id):
    from index.documents import document_id_for
    from service.web.validation import DOCUMENT_ID

    assert document_id_for(name) == doc_id and DOCUMENT_ID.fullmatch(doc_id)
    assert document_id_for(doc_id + ".md") == doc_id
