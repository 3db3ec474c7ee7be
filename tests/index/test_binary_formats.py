"""PDF and Word files, made by the tests: text, pages, cleaning, and a clear refusal for each bad file."""

import os

import pytest

from index import build_index, load_index
from index.documents.formats import extract
from index.documents import pages_of
from index.errors import UnreadableDocumentError
from index.documents.limits import DocumentLimits
from tests.made_files import HEADER, PAGE_3_FACT, image_only_pdf, minutes_docx, report_pdf, zip_bomb_docx


@pytest.fixture(scope="module")
def report():
    return report_pdf()


def _index(folder, files):
    corpus = folder / "corpus"
    corpus.mkdir()
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    build_index(corpus, folder / "index")
    return corpus, load_index(folder / "index")


def test_pdf_text_is_clean_and_in_reading_order(report):
    found = extract("report.pdf", report)
    assert found.title == "Harbour report 2025"  # from the metadata
    assert HEADER not in found.text and "Page 2" not in found.text  # running header and page numbers dropped
    assert "refurbishment of the north quay" in found.text  # hyphen at the line end joined
    assert found.text.index("The left column") < found.text.index("The right column")
    assert "contractors from Rotterdam most of the summer" in found.text  # a column's lines stay one paragraph
    assert "Zürich, Malmö and Besançon to the café" in found.text
    assert len(found.pages) == 4 and found.pages[0] == 0


def test_every_pdf_paragraph_knows_its_pages_and_offsets_hold(tmp_path, report):
    _, index = _index(tmp_path, {"report.pdf": report})
    doc = index.document("report")
    paragraphs = index.document_paragraphs("report")
    assert all(doc.text[p.start:p.end] == p.text for p in paragraphs)
    pages = {p.text[:30]: pages_of(doc.pages, p.start, p.end) for p in paragraphs}
    assert pages["The harbour welcomed 1,204 fer"] == [1]
    assert pages["The left column describes the "] == [2]
    assert pages["The board thanked the voluntee"] == [2, 3]  # runs on over the page break
    assert pages[PAGE_3_FACT[:30]] == [3]
    assert pages["Visitors came from Zürich, Mal"] == [4]


def test_word_paragraphs_headings_and_tables():
    found = extract("minutes.docx", minutes_docx())
    assert found.title == "Harbour board minutes" and found.pages == ()
    assert "Item | Cost\nDredging | £1.1m\nPilot boats | £0.9m" in found.text


def test_word_headings_label_their_paragraphs(tmp_path):
    _, index = _index(tmp_path, {"minutes.docx": minutes_docx()})
    by_text = {p.text[:20]: p.heading for p in index.document_paragraphs("minutes")}
    assert by_text["The board approved a"] == "Budget" and by_text["Item | Cost\nDredging"] == "Budget"


@pytest.mark.parametrize("name, make, message", [
    ("locked.pdf", lambda: report_pdf(encrypt=True), "password-protected"),
    ("scan.pdf", image_only_pdf, "no text layer (scanned?)"),
    ("cut.pdf", lambda: report_pdf()[: len(report_pdf()) // 2], "truncated"),
    ("junk.pdf", lambda: b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n", "damaged"),
    ("bomb.docx", zip_bomb_docx, "zip bomb"),
    ("cut.docx", lambda: minutes_docx()[:2000], "damaged or truncated"),
])
def test_each_bad_file_gets_a_clear_message(name, make, message):
    with pytest.raises(UnreadableDocumentError) as caught:
        extract(name, make())
    assert message in caught.value.detail and caught.value.detail.startswith(name)


def test_parsing_is_bounded_in_time(report):
    with pytest.raises(UnreadableDocumentError, match="took longer than"):
        extract("report.pdf", report, DocumentLimits(parse_seconds=0.001))


def test_bad_files_in_the_folder_are_skipped_and_the_rest_indexed(tmp_path, report, caplog):
    _, index = _index(tmp_path, {"report.pdf": report, "locked.pdf": report_pdf(encrypt=True),
                                 "scan.pdf": image_only_pdf()})
    assert [d.id for d in index.documents] == ["report"]
    assert "skipped locked.pdf" in caplog.text and "password-protected" in caplog.text
    assert "skipped scan.pdf" in caplog.text


def test_unchanged_files_are_not_parsed_again(tmp_path, report):
    corpus, _ = _index(tmp_path, {"report.pdf": report})
    path = corpus / "report.pdf"
    stat = path.stat()
    path.write_bytes(b"\0" * stat.st_size)  # same size and time: only a re-parse would notice
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    build_index(corpus, tmp_path / "index")
    assert PAGE_3_FACT in load_index(tmp_path / "index").document("report").text


def test_a_parse_is_the_same_in_a_process_with_a_large_address_space():
    """A long-running server's address space grows (threads, arenas, mapped indexes); the parser's memory
    limit must not count it, or a file accepted when the server was young is refused later."""
    import mmap

    from tests.made_files import bloated_docx

    data = bloated_docx(2000)  # 2,000 paragraphs: tens of MB to parse
    reserved = mmap.mmap(-1, 3 << 30)  # 3 GB of address space, never touched
    try:
        assert extract("big.docx", data).text.count("\n\n") == 1999
    finally:
        reserved.close()


def test_text_over_the_limit_is_refused_saying_which_limit(report):
    from index.errors import DocumentTooLargeError

    with pytest.raises(DocumentTooLargeError) as caught:
        extract("report.pdf", report, DocumentLimits(max_chars=100))
    assert caught.value.status == 413
    assert "report.pdf" in caught.value.detail and "the limit is 100" in caught.value.detail
    assert "DOCQA_MAX_DOCUMENT_CHARS" in caught.value.detail
