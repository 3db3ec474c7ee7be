"""Crafted input through the Flask test client: bounded responses, bodies that used to be 500s, upload
names that used to collide, authentication and logging (tests/e2e/test_hardening.py has the real-server ones)."""

import io
import json
import logging

import pytest
from tests.conftest import prebuilt

TOKEN = "correct-horse-battery"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def writable(corpus, index_dir, seed_index_template):
    from service.web import create_app

    prebuilt(index_dir, seed_index_template)
    return create_app({"corpus": corpus, "index_dir": index_dir, "api_token": TOKEN, "poll_seconds": 0})


def test_one_huge_paragraph_cannot_swell_a_response(corpus, index_dir):
    from service.web import create_app

    words = " ".join(f"w{i % 977}x" for i in range(300_000))  # ~2 MB, no blank line, no sentence end
    (corpus / "flood.txt").write_text("flood words " + words)
    client = create_app({"corpus": corpus, "index_dir": index_dir}).test_client()
    for _ in range(4):
        response = client.get("/api/search", query_string={"q": "w5x w7x w9x flood", "k": 50})
        assert response.status_code == 200
        assert len(response.data) < 1_000_000  # 50 passages of at most 250 words each
    ask = client.post("/api/ask", json={"question": "what are the flood words w5x?"})
    assert ask.status_code == 200 and len(ask.data) < 200_000
    assert client.get("/api/health").status_code == 200


DEEP = "[" * 3000 + "]" * 3000
CRAFTED = [
    ("deep-array", "/api/ask", '{"question": "x", "history": ' + DEEP + "}", 400, "nests JSON"),
    ("deep-object", "/api/ask", '{"a":' * 3000 + "1" + "}" * 3000, 400, "nests JSON"),
    ("surrogate-question", "/api/ask", '{"question": "survivors \\ud800?"}', 400, "'question' holds a lone surrogate"),
    ("surrogate-history", "/api/ask", '{"question": "why?", "history": [{"question": "\\udfff", "answer": "a"}]}',
     400, "'history' holds a lone surrogate"),
    ("surrogate-key", "/api/ask", '{"question": "x", "\\ud800": 1}', 400, "lone surrogate"),
    ("surrogate-title", "/api/documents", '{"id": "s1", "title": "T \\ud800", "text": "Body."}', 400,
     "'title' holds a lone surrogate"),
    ("surrogate-text", "/api/documents", '{"id": "s2", "text": "Body \\udc80 text."}', 400,
     "'text' holds a lone surrogate"),
]


@pytest.mark.parametrize("path, body, status, detail", [c[1:] for c in CRAFTED], ids=[c[0] for c in CRAFTED])
def test_crafted_bodies_get_a_clear_4xx(writable, path, body, status, detail):
    response = writable.test_client().post(path, data=body, content_type="application/json", headers=AUTH)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert detail in response.get_json()["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(client):
    question = "what [[[[{{{{ " * 20 + "survivors?"
    response = client.post("/api/ask", data=json.dumps({"question": question}), content_type="application/json")
    assert response.status_code == 200


def test_uploads_with_non_latin_names_never_overwrite_each_other(writable):
    client = writable.test_client()
    ids = []
    for name, text in (("日本語.txt", "Tokyo ferry notes."), ("😀.txt", "Smile ferry notes."),
                       ("中文.txt", "Beijing ferry notes.")):
        response = client.post("/api/documents", headers=AUTH, data={"file": (io.BytesIO(text.encode()), name)})
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    assert len(set(ids)) == 3
    for doc_id, word in zip(ids, ("Tokyo", "Smile", "Beijing")):
        assert word in client.get(f"/api/documents/{doc_id}").get_json()["text"]
    again = client.post("/api/documents", headers=AUTH, data={"file": (io.BytesIO(b"Other text."), "日本語.txt")})
    assert again.status_code == 409 and f"id={ids[0]}" in again.get_json()["detail"]
    assert "Tokyo" in client.get(f"/api/documents/{ids[0]}").get_json()["text"]
    explicit = client.post("/api/documents", headers=AUTH,
                           data={"file": (io.BytesIO(b"Other text."), "日本語.txt"), "id": ids[0]})
    assert explicit.status_code == 200 and explicit.get_json()["status"] == "replaced"


def test_failed_auth_is_challenged_logged_and_throttled_per_client(writable, caplog):
    from service.web.auth import MAX_FAILURES

    client = writable.test_client()
    doc = {"id": "t1", "text": "Some text."}
    for n in range(MAX_FAILURES):
        response = client.post("/api/documents", json=doc, headers={"Authorization": f"Bearer wrong-{n}"})
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    refused = client.post("/api/documents", json=doc, headers=AUTH)  # even the right token, for a while
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    other = client.post("/api/documents", json=doc, headers=AUTH, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 201
    failures = [r.getMessage() for r in caplog.records if "failed authentication" in r.getMessage()]
    assert len(failures) == MAX_FAILURES and all("wrong-" not in m for m in failures)


def test_every_request_gets_an_access_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="service.access")
    client.get("/api/health", headers={"X-Request-Id": "req-42"})
    client.get("/api/nope")
    lines = [r.getMessage() for r in caplog.records if r.name == "service.access"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /api/health 200 ") and lines[0].endswith(" ms req-42")
    assert lines[1].startswith("GET /api/nope 404 ")


def test_redirects_never_echo_the_host_header(client):
    for path in ("/api//health", "/documents//some-doc"):
        response = client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 308
        assert response.headers["Location"].startswith("/") and not response.headers["Location"].startswith("//")
        assert "evil" not in response.headers["Location"]


def test_a_rejected_token_is_never_echoed(corpus, index_dir):
    from service.settings import ConfigError
    from service.web import create_app

    with pytest.raises(ConfigError) as caught:
        create_app({"corpus": corpus, "index_dir": index_dir, "api_token": "hunter2"})
    assert "hunter2" not in str(caught.value) and "DOCQA_API_TOKEN" in str(caught.value)


def test_control_characters_cannot_forge_a_log_line():
    from service.logs import FORMAT, OneLineFormatter

    record = logging.LogRecord("index.documents", logging.WARNING, __file__, 1, "skipped %s: %s", (
        "evil\n2026-12-01 00:00:00 INFO service.serve: forged.txt", "bad\r\x1b[31m"), None)
    line = OneLineFormatter(FORMAT).format(record)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "evil\\n2026" in line and "\\x1b[31m" in line


def test_the_largest_valid_ask_fits_under_the_ask_body_limit_and_a_bigger_one_is_refused(client):
    from service.web.validation import MAX_ASK_BODY_BYTES

    emoji = "\U0001f600"  # 12 bytes as JSON escapes, the most a character can take
    turn = {"question": emoji * 1000, "answer": emoji * 5000,
            "citations": [{"document": "d" * 100, "paragraph": 99999}] * 50}
    body = json.dumps({"question": emoji * 1000, "top_k": 50, "history": [turn] * 20,
                       "documents": ["d" * 100] * 1000})  # ensure_ascii: every emoji escaped
    assert len(body) < MAX_ASK_BODY_BYTES
    assert client.post("/api/ask", data=body, content_type="application/json").status_code == 422  # unknown ids
    bigger = client.post("/api/ask", data=body + " " * MAX_ASK_BODY_BYTES, content_type="application/json")
    assert bigger.status_code == 413 and bigger.mimetype == "application/problem+json"
    assert f"at most {MAX_ASK_BODY_BYTES:,}" in bigger.get_json()["detail"]


def test_unknown_document_ids_in_a_422_are_few_and_short(client):
    ids = [f"{n}" + "x" * 190_000 for n in range(5)] + ["also-unknown"] * 3
    response = client.post("/api/ask", json={"question": "how many survivors", "documents": ids})
    assert response.status_code == 422 and len(response.data) < 2_000
    detail = response.get_json()["detail"]
    assert "8 document(s)" in detail and "'0" + "x" * 39 + "…'" in detail and detail.endswith(", …")


@pytest.mark.parametrize("hops, spoofed_apart", [(0, False), (1, True)], ids=["direct", "behind-one-proxy"])
def test_the_token_lockout_keys_on_the_client_a_configured_proxy_reports(corpus, index_dir, seed_index_template,
                                                                          hops, spoofed_apart):
    """Behind a reverse proxy every request comes from the proxy's address: with DOCQA_PROXY_HOPS=1 the
    lockout keys on the address it forwards; without it, X-Forwarded-For is ignored (a client cannot
    step out of its own lockout by sending one)."""
    from service.web import create_app
    from service.web.auth import MAX_FAILURES

    prebuilt(index_dir, seed_index_template)
    client = create_app({"corpus": corpus, "index_dir": index_dir, "api_token": TOKEN, "poll_seconds": 0,
                         "proxy_hops": hops}).test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(MAX_FAILURES):
        client.post("/api/documents", json={"id": "t", "text": "x"}, environ_base=proxy,
                    headers={"Authorization": f"Bearer wrong-{n}", "X-Forwarded-For": "203.0.113.7"})
    locked = client.post("/api/documents", json={"id": "t", "text": "x"}, environ_base=proxy,
                         headers={**AUTH, "X-Forwarded-For": "203.0.113.7"})
    other = client.post("/api/documents", json={"id": "t2", "text": "Other text."}, environ_base=proxy,
                        headers={**AUTH, "X-Forwarded-For": "203.0.113.8"})
    assert locked.status_code == 429
    assert ("203.0.113.7" if hops else "10.0.0.2") in locked.get_json()["detail"]
    assert other.status_code == (201 if spoofed_apart else 429)
