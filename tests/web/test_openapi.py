"""The OpenAPI document is valid 3.1 and matches what the code does."""

import jsonschema
import pytest
from openapi_spec_validator import validate

from service.web.openapi import openapi_document


def test_openapi_is_valid_and_served(client):
    served = client.get("/api/openapi.json").get_json()
    validate(served)
    assert served == openapi_document()


def test_every_route_is_described_and_nothing_else(app):
    described = {(path, method.upper()) for path, item in openapi_document()["paths"].items() for method in item}
    routes = {(str(r.rule).replace("<path:document_id>", "{document_id}"), m)
              for r in app.url_map.iter_rules() if str(r.rule).startswith("/api/")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes == described


def _schema(name):
    doc = openapi_document()
    return {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}


@pytest.mark.parametrize("path, name", [("/api/health", "Health"), ("/api/documents", "DocumentList"),
                                        ("/api/search?q=survivors", "SearchResponse"),
                                        ("/api/documents/uk-france-keep-all-options-on-the-table", "Document")],
                         ids=["health", "documents", "search", "document"])
def test_get_responses_match_their_schemas(client, path, name):
    jsonschema.validate(client.get(path).get_json(), _schema(name))


def test_ask_and_problem_responses_match_their_schemas(client):
    jsonschema.validate(client.post("/api/ask", json={"question": "how many people died?"}).get_json(),
                        _schema("AskResponse"))
    jsonschema.validate(client.post("/api/ask", json={"question": ""}).get_json(), _schema("Problem"))
