import json
import os
import re
import subprocess

import pytest

from service.cli import main
from tests.conftest import DOCQA, prebuilt


def _args(corpus, index_dir):
    return ["--corpus", str(corpus), "--index-dir", str(index_dir)]


def test_index_prints_a_summary(runner, corpus, index_dir):
    result = runner.invoke(main, ["index", *_args(corpus, index_dir)])
    assert result.exit_code == 0
    assert "indexed 2 documents, 45 paragraphs" in result.output


def test_ask_shows_the_passage_with_two_survivors_and_its_citation(runner, corpus, index_dir, seed_index_template):
    prebuilt(index_dir, seed_index_template)  # embedded once for the session
    result = runner.invoke(main, ["ask", "how many survivors", *_args(corpus, index_dir)])
    assert result.exit_code == 0, result.output
    assert "two survivors" in result.output
    assert "johnson-urges-france-after-channel-capsizing ¶8" in result.output


ASKED = ["how many survivors", "how many people died", "who is the mayor of Calais", "when did the boat sink",
         "what did Boris Johnson say about France", "the of and zebra"]


@pytest.mark.parametrize("question", ASKED, ids=ASKED)
def test_ask_json_prints_exactly_what_the_api_returns(runner, corpus, index_dir, question, seed_index_template):
    prebuilt(index_dir, seed_index_template)  # embedded once for the session
    from service.web import create_app

    cli = runner.invoke(main, ["ask", question, "--json", "-k", "3", *_args(corpus, index_dir)])
    assert cli.exit_code == 0, cli.output
    api = create_app({"corpus": corpus, "index_dir": index_dir}).test_client().post(
        "/api/ask", json={"question": question, "top_k": 3})
    assert api.status_code == 200
    printed, returned = json.loads(cli.output), api.get_json()
    assert isinstance(printed.pop("took_ms"), float) and isinstance(returned.pop("took_ms"), float)
    assert printed == returned
    assert all(p["title"] for p in printed["passages"])  # once null on the CLI


def test_errors_are_one_line_and_non_zero(runner, corpus, index_dir, tmp_path):
    for args in (["ask", "   ", *_args(corpus, index_dir)],
                 ["ask", "the of and", *_args(corpus, index_dir)],
                 ["index", "--corpus", str(tmp_path / "missing"), "--index-dir", str(index_dir)]):
        result = runner.invoke(main, args)
        assert result.exit_code != 0
        assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("Error:")
        assert "Traceback" not in result.output


def test_real_subprocess_uses_the_environment(corpus, index_dir, seed_index_template):
    prebuilt(index_dir, seed_index_template)  # embedded once for the session
    env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir)}
    out = subprocess.run([DOCQA, "ask", "how many survivors"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "two survivors" in out.stdout and "¶8" in out.stdout
    assert (index_dir / "CURRENT").is_file()
    bad = subprocess.run([DOCQA, "ask", "  "], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0 and "empty" in bad.stderr


def test_an_index_path_that_is_a_file_is_one_line_for_index_and_serve(corpus, tmp_path):
    not_a_folder = tmp_path / "index-file"
    not_a_folder.write_text("I am a file")
    env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(not_a_folder)}
    for command in (["index"], ["serve", "--port", "0"]):
        out = subprocess.run([DOCQA, *command], capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 1 and out.stderr.strip().count("\n") == 0, out.stderr
        assert "DOCQA_INDEX_DIR" in out.stderr and "folder" in out.stderr
    assert not_a_folder.read_text() == "I am a file"


def test_a_current_pointer_of_undecodable_bytes_is_rebuilt_with_a_log_line(corpus, index_dir):
    env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir)}
    assert subprocess.run([DOCQA, "index"], env=env, capture_output=True, timeout=120).returncode == 0
    (index_dir / "CURRENT").write_bytes(b"\xff\xfe\x00gen-\x80")
    out = subprocess.run([DOCQA, "-v", "index"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert "not UTF-8" in out.stderr and "indexed 2 documents" in out.stdout


def test_chat_keeps_the_thread_and_new_starts_over(corpus, index_dir, seed_index_template):
    prebuilt(index_dir, seed_index_template)  # embedded once for the session
    env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir)}
    questions = ["the of", "Who is the mayor of Calais?", "Who does she blame?", "/new", "Who does she blame?", "/quit",
                 "never asked"]
    out = subprocess.run([DOCQA, "chat", "--json"], input="\n".join(questions) + "\n", capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions[:3] + questions[4:5]
    assert "searchable" in lines[0]["error"]  # a first question with nothing to search: said, and the chat goes on
    assert "Natacha Bouchart" in lines[1]["answer"]["text"]
    assert lines[2]["query"].startswith("she→Natacha Bouchart")
    assert "→" not in lines[3]["query"]  # after /new there is no one for "she" to be


def test_chat_in_a_terminal_says_who_he_is(runner, corpus, index_dir, seed_index_template):
    prebuilt(index_dir, seed_index_template)  # embedded once for the session
    result = runner.invoke(main, ["chat", *_args(corpus, index_dir)],
                           input="Who said the traffickers were getting away with murder?\n")
    assert result.exit_code == 0, result.output
    first_line = result.output.splitlines()[0]  # either article's sentence: both quote him
    assert first_line.startswith("He [Boris Johnson] said ") and "getting away with murder" in first_line


def test_pdfs_in_the_folder_are_cited_by_page_and_bad_ones_skipped_with_one_line(runner, corpus, index_dir):
    from tests.made_files import report_pdf

    (corpus / "harbour-report.pdf").write_bytes(report_pdf())
    (corpus / "locked.pdf").write_bytes(report_pdf(encrypt=True))
    env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir)}
    built = subprocess.run([DOCQA, "index"], capture_output=True, text=True, env=env, timeout=120)
    assert built.returncode == 0 and "indexed 3 documents" in built.stdout
    skipped = [line for line in built.stderr.splitlines() if "locked.pdf" in line]
    assert len(skipped) == 1 and "password-protected PDF: not supported" in skipped[0]
    result = runner.invoke(main, ["ask", "Who is the lighthouse keeper appointed in March?", *_args(corpus, index_dir)])
    assert result.exit_code == 0 and "Margaret Ellison" in result.output.splitlines()[0]
    assert "[1] harbour-report ¶" in result.output and " p. 3  score" in result.output


def test_index_embeds_new_paragraphs_once_and_no_semantic_skips_it(corpus, index_dir):
    env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir)}
    off = subprocess.run([DOCQA, "index", "--no-semantic"], capture_output=True, text=True, env=env, timeout=120)
    assert off.returncode == 0 and "paragraph vectors" not in off.stdout and not list(index_dir.glob("vectors-*"))
    first = subprocess.run([DOCQA, "index"], capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    paragraphs = int(re.search(r"(\d+) paragraphs", first.stdout).group(1))
    assert f"paragraph vectors: {paragraphs} of {paragraphs}" in first.stdout
    [vectors] = index_dir.glob("vectors-*.npy")
    written = vectors.stat().st_mtime_ns
    again = subprocess.run([DOCQA, "index"], capture_output=True, text=True, env=env, timeout=120)
    assert f"paragraph vectors: {paragraphs} of {paragraphs}" in again.stdout
    assert vectors.stat().st_mtime_ns == written  # nothing embedded again
    answer = json.loads(subprocess.run([DOCQA, "ask", "--json", "how many people survived"], capture_output=True,
                                       text=True, env=env, timeout=120).stdout)
    assert answer["passages"][0]["semantic"] > 0
