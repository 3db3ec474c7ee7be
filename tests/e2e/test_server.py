import time

import pytest
import requests

pytestmark = pytest.mark.server


def test_real_server_answers_and_stops_on_sigterm(server):
    s = server()
    health = requests.get(f"{s.url}/api/health", timeout=10).json()
    assert health["status"] == "ok" and health["paragraphs"] == 45
    body = requests.post(f"{s.url}/api/ask", json={"question": "how many survivors"}, timeout=10).json()
    assert "two survivors" in body["answer"]["text"]
    first = body["passages"][0]
    doc = requests.get(f"{s.url}/api/documents/{first['document']}", timeout=10).json()
    assert doc["text"][first["start"]:first["end"]] == first["text"]
    assert any("2 documents, 45 paragraphs" in line for line in s.log)
    assert s.stop() == 0
    time.sleep(0.2)
    assert any("docqa stopped" in line for line in s.log)
