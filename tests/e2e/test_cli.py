import json
import os
import subprocess

from service.cli import main
from tests.conftest import DOCQA


def _args(corpus, index_dir):
    return ["--corpus", str(corpus), "--index-dir", str(index_dir)]


def test_index_prints_a_summary(runner, corpus, index_dir):
    result = runner.invoke(main, ["index", *_args(corpus, index_dir)])
    assert result.exit_code == 0
    assert "indexed 2 documents, 45 paragraphs" in result.output


def test_ask_shows_the_passage_with_two_survivors_and_its_citation(runner, corpus, index_dir):
    result = runner.invoke(main, ["ask", "how many survivors", *_args(corpus, index_dir)])
    assert result.exit_code == 0, result.output
    assert "two survivors" in result.output
    assert "johnson-urges-france-after-channel-capsizing ¶8" in result.output


def test_ask_json_is_the_api_shape(runner, corpus, index_dir):
    result = runner.invoke(main, ["ask", "how many survivors", "--json", "-k", "2", *_args(corpus, index_dir)])
    body = json.loads(result.output)
    assert len(body["passages"]) == 2 and body["answer"]["text"] in body["passages"][body["answer"]["passage"]]["text"]


def test_errors_are_one_line_and_non_zero(runner, corpus, index_dir, tmp_path):
    for args in (["ask", "   ", *_args(corpus, index_dir)],
                 ["ask", "the of and", *_args(corpus, index_dir)],
                 ["index", "--corpus", str(tmp_path / "missing"), "--index-dir", str(index_dir)]):
        result = runner.invoke(main, args)
        assert result.exit_code != 0
        assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("Error:")
        assert "Traceback" not in result.output


def test_real_subprocess_uses_the_environment(corpus, index_dir):
    env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir)}
    out = subprocess.run([DOCQA, "ask", "how many survivors"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "two survivors" in out.stdout and "¶8" in out.stdout
    assert (index_dir / "CURRENT").is_file()
    bad = subprocess.run([DOCQA, "ask", "  "], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0 and "empty" in bad.stderr
