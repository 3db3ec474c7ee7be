import json

import pytest

from index import analyze
from tests.conftest import prebuilt

ASK = "/api/ask"


def ask(client, **body):
    return client.post(ASK, json=body)


def test_ask_contract_offsets_and_quotes(client):
    body = ask(client, question="how many survivors").get_json()
    assert set(body) == {"question", "query", "read_as", "answer", "disagreement", "passages", "took_ms"}
    assert body["read_as"] == "how many survivors"  # asked alone: the question itself
    assert body["passages"] and body["query"].startswith("survivor")
    searched = {t.split("^")[0] for t in body["query"].split()}
    documents = {}
    for p in body["passages"]:
        doc = documents.setdefault(p["document"], client.get(f"/api/documents/{p['document']}").get_json())
        assert doc["text"][p["start"]:p["end"]] == p["text"]
        assert p["url"] == f"/documents/{p['document']}#p{p['paragraph']}" and p["title"] == doc["title"]
        for s, e in p["highlights"]:
            assert 0 <= s < e <= len(p["text"])
            assert set(analyze(p["text"][s:e])) & searched
    answer = body["answer"]
    passage = body["passages"][answer["passage"]]["text"]
    assert answer["text"] in passage and "two survivors" in answer["text"]
    h = answer["highlight"]
    assert answer["text"][h["start"]:h["end"]] == "two"
    assert 0 <= answer["confidence"] <= 1


def test_top_k_and_search(client):
    assert len(ask(client, question="French coast", top_k=1).get_json()["passages"]) == 1
    body = client.get("/api/search?q=two+survivors&k=3").get_json()
    assert 1 <= len(body["passages"]) <= 3 and "survivor" in body["query"]
    assert body["passages"][0]["score"] >= body["passages"][-1]["score"]


def test_documents_and_health(client):
    docs = client.get("/api/documents").get_json()["documents"]
    assert {d["id"] for d in docs} == {"uk-france-keep-all-options-on-the-table",
                                       "johnson-urges-france-after-channel-capsizing"}
    assert all(d["paragraphs"] > 15 and len(d["sha256"]) == 64 for d in docs)
    doc = client.get(f"/api/documents/{docs[0]['id']}").get_json()
    assert [p["number"] for p in doc["paragraphs"]] == list(range(1, docs[0]["paragraphs"] + 1))
    health = client.get("/api/health").get_json()
    assert (health["status"], health["documents"], health["paragraphs"]) == ("ok", 2, 45)
    assert health["index"]["engine"] == "bm25s" and health["index"]["built_at"].endswith("Z")


def test_request_id_is_echoed_or_generated(client):
    assert client.get("/api/health", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    generated = client.get("/api/health").headers["X-Request-Id"]
    assert len(generated) == 32
    assert client.get("/api/health", headers={"X-Request-Id": "bad id <x>"}).headers["X-Request-Id"] != "bad id <x>"


BAD_INPUTS = [
    ("missing-question", "POST", ASK, {"json": {}}, 422),
    ("empty-question", "POST", ASK, {"json": {"question": ""}}, 422),
    ("blank-question", "POST", ASK, {"json": {"question": "  \n\t "}}, 422),
    ("number-question", "POST", ASK, {"json": {"question": 42}}, 422),
    ("list-question", "POST", ASK, {"json": {"question": ["how"]}}, 422),
    ("null-question", "POST", ASK, {"json": {"question": None}}, 422),
    ("too-long-question", "POST", ASK, {"json": {"question": "why " * 251}}, 422),
    ("stopwords-only", "POST", ASK, {"json": {"question": "what is the"}}, 422),
    ("top_k-string", "POST", ASK, {"json": {"question": "survivors", "top_k": "5"}}, 422),
    ("top_k-float", "POST", ASK, {"json": {"question": "survivors", "top_k": 2.5}}, 422),
    ("top_k-bool", "POST", ASK, {"json": {"question": "survivors", "top_k": True}}, 422),
    ("top_k-zero", "POST", ASK, {"json": {"question": "survivors", "top_k": 0}}, 422),
    ("top_k-51", "POST", ASK, {"json": {"question": "survivors", "top_k": 51}}, 422),
    ("history-not-list", "POST", ASK, {"json": {"question": "survivors", "history": "hi"}}, 422),
    ("history-bad-turn", "POST", ASK, {"json": {"question": "survivors", "history": [{"answer": "x"}]}}, 422),
    ("history-bad-answer", "POST", ASK, {"json": {"question": "q", "history": [{"question": "q", "answer": 3}]}}, 422),
    ("body-is-list", "POST", ASK, {"json": ["how many survivors"]}, 422),
    ("form-content-type", "POST", ASK, {"data": {"question": "x"}}, 415),
    ("no-content-type", "POST", ASK, {"data": b'{"question": "x"}'}, 415),
    ("text-content-type", "POST", ASK, {"data": b'{"question": "x"}', "content_type": "text/plain"}, 415),
    ("broken-json", "POST", ASK, {"data": b'{"question": ', "content_type": "application/json"}, 400),
    ("invalid-utf8", "POST", ASK, {"data": b'{"question": "\xff\xfe"}', "content_type": "application/json"}, 400),
    ("unknown-document", "GET", "/api/documents/no-such-doc", {}, 404),
    ("document-dotdot", "GET", "/api/documents/..", {}, 404),
    ("document-traversal", "GET", "/api/documents/../../etc/passwd", {}, 404),
    ("document-slash", "GET", "/api/documents/a/b", {}, 404),
    ("document-encoded-slash", "GET", "/api/documents/..%2F..%2Fetc", {}, 404),
    ("unknown-route", "GET", "/api/nope", {}, 404),
    ("wrong-method-ask", "GET", ASK, {}, 405),
    ("wrong-method-health", "POST", "/api/health", {}, 405),
    ("search-without-q", "GET", "/api/search", {}, 422),
    ("search-blank-q", "GET", "/api/search?q=%20%20", {}, 422),
    ("search-bad-k", "GET", "/api/search?q=survivors&k=abc", {}, 422),
    ("search-k-zero", "GET", "/api/search?q=survivors&k=0", {}, 422),
    ("search-k-negative", "GET", "/api/search?q=survivors&k=-1", {}, 422),
    ("search-k-float", "GET", "/api/search?q=survivors&k=2.0", {}, 422),
]


@pytest.mark.parametrize("method, path, kwargs, status", [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_problem_json(client, method, path, kwargs, status):
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == status
    assert "Traceback" not in response.get_data(as_text=True) and "/work/" not in response.get_data(as_text=True)


def test_body_over_the_limit_is_413(corpus, index_dir, seed_index_template):
    from service.web import create_app

    prebuilt(index_dir, seed_index_template)
    client = create_app({"corpus": corpus, "index_dir": index_dir, "max_body_bytes": 2048}).test_client()
    response = client.post(ASK, data=json.dumps({"question": "x" * 5000}), content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_unexpected_errors_are_problem_json_with_the_request_id(app, client, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail /work/path")

    response = client.get("/boom", headers={"X-Request-Id": "req-7"})
    body = response.get_json()
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert body["request_id"] == "req-7" and "secret" not in response.get_data(as_text=True)
    assert any("req-7" in r.getMessage() for r in caplog.records)


def test_invalid_configuration_fails_at_start(corpus, index_dir):
    from service.web import create_app
    from service.settings import ConfigError

    for bad in ({"engine": "lucene"}, {"k1": -1}, {"threads": 0}, {"api_token": "short"}):
        with pytest.raises(ConfigError):
            create_app({"corpus": corpus, "index_dir": index_dir, **bad})


def test_environment_is_read_at_create_app_not_import(monkeypatch, corpus, index_dir):
    from service.web import create_app

    monkeypatch.setenv("DOCQA_CORPUS", str(corpus))
    monkeypatch.setenv("DOCQA_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("DOCQA_K1", "0.9")
    app = create_app()
    assert app.extensions["docqa.settings"].k1 == 0.9
    monkeypatch.setenv("DOCQA_K1", "abc")
    with pytest.raises(Exception, match="DOCQA_K1"):
        create_app()


def test_security_headers_on_every_kind_of_response(client):
    for path in ("/", "/api/health", "/api/nope", "/documents/uk-france-keep-all-options-on-the-table",
                 "/static/chat.js", "/documents/missing"):
        response = client.get(path)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path


def test_never_debug_mode_even_if_the_environment_asks(monkeypatch, corpus, index_dir, seed_index_template):
    from service.web import create_app

    prebuilt(index_dir, seed_index_template)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app({"corpus": corpus, "index_dir": index_dir})
    assert app.debug is False

    @app.get("/boom")
    def boom():
        raise ValueError("internal")

    response = app.test_client().get("/boom")
    assert response.status_code == 500 and "Traceback" not in response.get_data(as_text=True)


def test_public_surface_of_the_index_library_is_pinned():
    import index

    assert sorted(index.__all__) == sorted([
        "Bm25Params", "BuildReport", "DocqaError", "Document", "ENGINES", "EmptyQueryError", "Hit",
        "IndexCorruptError", "Paragraph", "SearchIndex", "analyze", "analyze_spans", "build_index",
        "load_corpus", "load_index", "open_index", "parse_document", "split_paragraphs"])
    assert all(hasattr(index, name) for name in index.__all__)
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", "import index, index.store, sys; print('flask' in sys.modules)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"  # the library never imports Flask


UK_ID = "uk-france-keep-all-options-on-the-table"
JOHNSON_ID = "johnson-urges-france-after-channel-capsizing"


@pytest.mark.parametrize("only", [[UK_ID], [JOHNSON_ID]])
def test_documents_limit_ask_and_search_to_those_documents(client, only):
    everywhere = client.post(ASK, json={"question": "How many people died?", "top_k": 10}).get_json()
    assert {p["document"] for p in everywhere["passages"]} == {UK_ID, JOHNSON_ID}
    body = client.post(ASK, json={"question": "How many people died?", "top_k": 10, "documents": only}).get_json()
    assert body["passages"] and {p["document"] for p in body["passages"]} == set(only)
    assert body["disagreement"] == []  # one document cannot disagree with itself
    found = client.get("/api/search", query_string={"q": "survivors hospital", "documents": ",".join(only)}).get_json()
    assert found["passages"] and {p["document"] for p in found["passages"]} == set(only)


@pytest.mark.parametrize("documents", [[], "x", ["no-such-doc"], [3], [UK_ID] * 1001])
def test_a_bad_documents_filter_is_a_clear_422(client, documents):
    res = client.post(ASK, json={"question": "survivors", "documents": documents})
    assert res.status_code == 422 and res.mimetype == "application/problem+json"
    assert "documents" in res.get_json()["detail"]
