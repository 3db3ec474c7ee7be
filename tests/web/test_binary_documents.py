"""PDF and Word documents through the API and the pages: uploads, page numbers in citations, the original file."""

import io

import pytest

from service.web import create_app
from tests.made_files import PAGE_3_FACT, minutes_docx, report_pdf, zip_bomb_docx
from tests.conftest import prebuilt

TOKEN = "correct-horse-battery"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def report():
    return report_pdf()


@pytest.fixture
def writer(corpus, index_dir, seed_index_template):
    prebuilt(index_dir, seed_index_template)
    return create_app({"corpus": corpus, "index_dir": index_dir, "api_token": TOKEN}).test_client()


def _upload(client, name, data):
    return client.post("/api/documents", headers=AUTH, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_an_uploaded_pdf_is_cited_by_page(writer, report):
    res = _upload(writer, "harbour-report.pdf", report)
    assert res.status_code == 201, res.get_json()
    body = writer.post("/api/ask", json={"question": "Who is the lighthouse keeper appointed in March?"}).get_json()
    passage = body["passages"][body["answer"]["passage"]]
    assert "Margaret Ellison" in body["answer"]["text"]
    assert passage["document"] == "harbour-report" and passage["page"] == 3 and passage["pages"] == [3]
    doc = writer.get("/api/documents/harbour-report").get_json()
    assert doc["pages"] == 4 and doc["title"] == "Harbour report 2025"
    cited = doc["paragraphs"][passage["paragraph"] - 1]
    assert doc["text"][cited["start"]:cited["end"]] == passage["text"] and cited["pages"] == [3]
    assert [2, 3] in [p["pages"] for p in doc["paragraphs"]]
    listed = {d["id"]: d for d in writer.get("/api/documents").get_json()["documents"]}
    assert listed["harbour-report"]["pages"] == 4 and "pages" not in listed["uk-france-keep-all-options-on-the-table"]


def test_text_documents_have_no_page_fields(client):
    passage = client.post("/api/ask", json={"question": "how many survivors"}).get_json()["passages"][0]
    assert "page" not in passage and "pages" not in passage


def test_the_original_file_downloads_as_it_was(writer, report):
    _upload(writer, "harbour-report.pdf", report)
    res = writer.get("/documents/harbour-report/original")
    assert res.status_code == 200 and res.mimetype == "application/pdf" and res.data == report
    assert res.headers["Content-Disposition"].startswith("attachment") and "harbour-report.pdf" in \
        res.headers["Content-Disposition"]
    text = writer.get("/documents/uk-france-keep-all-options-on-the-table/original")
    assert text.status_code == 200 and text.mimetype == "text/markdown" and text.data.startswith(b"---\ntitle:")
    missing = writer.get("/documents/no-such-doc/original")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_the_document_page_shows_page_markers_and_the_download(writer, report):
    _upload(writer, "harbour-report.pdf", report)
    html = writer.get("/documents/harbour-report").get_data(as_text=True)
    assert [f'id="page{n}"' in html for n in (1, 2, 3, 4)] == [True] * 4
    assert html.index('id="page3"') < html.index(PAGE_3_FACT) and 'data-pages="2,3"' in html
    assert 'href="/documents/harbour-report/original"' in html


def test_an_uploaded_word_file_is_searchable(writer):
    assert _upload(writer, "minutes.docx", minutes_docx()).status_code == 201
    body = writer.get("/api/search", query_string={"q": "pilot boats cost"}).get_json()
    assert body["passages"][0]["document"] == "minutes" and "Pilot boats | £0.9m" in body["passages"][0]["text"]


@pytest.mark.parametrize("name, make, says", [
    ("locked.pdf", lambda: report_pdf(encrypt=True), "password-protected"),
    ("bomb.docx", zip_bomb_docx, "zip bomb"),
    ("cut.pdf", lambda: report_pdf()[:1500], "truncated"),
])
def test_a_bad_upload_is_a_422_saying_why_and_nothing_is_written(writer, corpus, name, make, says):
    res = _upload(writer, name, make())
    assert res.status_code == 422 and res.mimetype == "application/problem+json"
    assert says in res.get_json()["detail"] and name in res.get_json()["detail"]
    assert not (corpus / name).exists()
