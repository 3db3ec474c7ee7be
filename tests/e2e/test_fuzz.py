"""Schemathesis against /api/openapi.json: bounded examples on every endpoint, writes with the token.

Each operation's strategy is driven by Hypothesis directly (schemathesis' pytest plugin does not
load under this pytest), so every operation is its own test. Checked: no 5xx, documented status
codes and content types, responses valid against their schemas. Not checked: that every
schema-valid request is accepted -- a question of stopwords ("then") or a file without a known
extension is schema-valid yet rightly a 422/415, which no schema can express."""

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from service.web.openapi import openapi_document
from tests.conftest import REPO

TOKEN = "fuzz-token-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = [(method.upper(), path) for path, item in openapi_document()["paths"].items() for method in item]


@pytest.fixture(scope="module")
def fuzzed_schema(tmp_path_factory):
    from service.web import create_app

    tmp = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(REPO / "docs_corpus", tmp / "corpus")
    app = create_app({"corpus": tmp / "corpus", "index_dir": tmp / "index", "api_token": TOKEN, "poll_seconds": 0})
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_openapi_document(fuzzed_schema, method, path):
    operation = fuzzed_schema[path][method]
    seen = []

    @given(case=operation.as_strategy())
    @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        response = case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
        seen.append(response.status_code)
        assert response.status_code < 500

    check()
    assert seen
