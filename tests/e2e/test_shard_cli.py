"""The sharded engine from the command line: build shards, serve one with `docqa shard serve`, ask."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from index.shards.format import SHARDS_FILE, shard_name
from index.shards.bindings import xapian
from service.cli import main
from service.settings import ConfigError, load_settings
from service.shard_servers import free_port
from tests.conftest import DOCQA


def test_index_shard_serve_and_ask_through_the_shards(corpus, tmp_path):
    out = tmp_path / "shards"
    built = subprocess.run([DOCQA, "index", "--corpus", str(corpus), "--index-dir", str(tmp_path / "analysis"),
                            "--engine", "xapian", "--shards", "2", "--out", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    assert "2 shards of 2 documents, 45 paragraphs (built afresh and compacted)" in built.stdout
    assert json.loads((out / SHARDS_FILE).read_text())["shards"] == 2
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen([DOCQA, "shard", "serve", str(out / shard_name(i)), "--port", str(port)],
                                stderr=subprocess.DEVNULL, start_new_session=True) for i, port in enumerate(ports)]
    try:
        deadline = time.monotonic() + 10
        for port in ports:
            while True:
                try:
                    xapian().remote_open("127.0.0.1", port, 500, 500).get_doccount()
                    break
                except Exception:
                    assert time.monotonic() < deadline, "docqa shard serve did not listen"
                    time.sleep(0.05)
        env = {**os.environ, "DOCQA_ENGINE": "xapian", "DOCQA_SHARDS": ",".join(f"127.0.0.1:{p}" for p in ports)}
        asked = subprocess.run([DOCQA, "ask", "how many survivors", "--json"], env=env, capture_output=True,
                               text=True, timeout=60)
        assert asked.returncode == 0, asked.stderr
        body = json.loads(asked.stdout)
        assert "two survivors" in body["answer"]["text"]
        assert body["passages"][0]["document"] == "johnson-urges-france-after-channel-capsizing"
        again = subprocess.run([DOCQA, "index", "--corpus", str(corpus), "--index-dir", str(tmp_path / "analysis"),
                                "--engine", "xapian", "--shards", "2", "--out", str(out)],
                               capture_output=True, text=True, timeout=120)
        assert "(0 written, 0 deleted)" in again.stdout  # nothing changed: nothing rewritten
    finally:
        for server in servers:
            os.killpg(server.pid, 9)
            server.wait()


def test_shard_options_without_the_rest_are_one_line_errors(runner, corpus, tmp_path):
    result = runner.invoke(main, ["index", "--corpus", str(corpus), "--shards", "2"])
    assert result.exit_code != 0 and "--engine xapian --shards N --out DIR" in result.output
    result = runner.invoke(main, ["shard", "serve", str(tmp_path), "--port", "0"])
    assert result.exit_code != 0


@pytest.mark.parametrize("environ, named", [
    ({"DOCQA_ENGINE": "xapian"}, "DOCQA_SHARDS"),
    ({"DOCQA_ENGINE": "xapian", "DOCQA_SHARDS": "127.0.0.1"}, "DOCQA_SHARDS"),
    ({"DOCQA_SHARDS": "a:1,b:99999"}, "DOCQA_SHARDS"),
    ({"DOCQA_SHARD_FAILURE": "sometimes"}, "DOCQA_SHARD_FAILURE"),
    ({"DOCQA_SHARD_TIMEOUT": "0"}, "DOCQA_SHARD_TIMEOUT"),
    ({"DOCQA_SHARDS": "a:1,b:2", "DOCQA_SHARD_WRITERS": "a:1001"}, "DOCQA_SHARD_WRITERS"),
    ({"DOCQA_SHARD_TOKEN": "short"}, "DOCQA_SHARD_TOKEN"),
])
def test_bad_shard_settings_name_the_setting(tmp_path, environ, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(tmp_path, environ)
