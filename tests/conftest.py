"""Layered fixtures, flaskr-style: corpus -> app -> client / runner; real files in tmp_path."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EVAL = SHARED / "eval"
DOCQA = str(Path(sys.executable).parent / "docqa")  # the console script of the venv running the tests


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of docs_corpus/ (the two seed articles)."""
    target = tmp_path / "corpus"
    shutil.copytree(REPO / "docs_corpus", target)
    return target


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture(scope="session")
def seed_index_template(tmp_path_factory) -> Path:
    """The seed corpus's index with its paragraph vectors, built once by the real code; copied into a
    test's empty index folder (with the corpus copied with its file times, it is current), so apps and
    servers answer with the semantic signal from their first request instead of embedding again."""
    from index import build_index, load_index
    from index.semantic.vectors import ensure_vectors

    root = tmp_path_factory.mktemp("seed-template")
    shutil.copytree(REPO / "docs_corpus", root / "corpus")
    build_index(root / "corpus", root / "index")
    ensure_vectors(load_index(root / "index"))
    return root / "index"


def prebuilt(index_dir: Path, template: Path) -> None:
    """Copy the template index into `index_dir` unless the test made one there already."""
    if not index_dir.exists():
        shutil.copytree(template, index_dir)


@pytest.fixture
def app(corpus: Path, index_dir: Path, seed_index_template: Path):
    from service.web import create_app

    prebuilt(index_dir, seed_index_template)
    return create_app({"corpus": corpus, "index_dir": index_dir})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def seed_index(corpus: Path, index_dir: Path):
    from index import open_index

    index, _ = open_index(corpus, index_dir)
    return index


class Server:
    """A real `docqa serve` process on 127.0.0.1 (port chosen by the OS, read from its log line)."""

    def __init__(self, corpus: Path, index_dir: Path, env: dict | None = None, args: tuple = (), ready: bool = True):
        import os
        import re
        import subprocess
        import threading

        full_env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir), **(env or {})}
        self.proc = subprocess.Popen([DOCQA, "serve", "--port", "0", *args], env=full_env, text=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log: list[str] = []
        found = threading.Event()

        def read() -> None:
            for line in self.proc.stderr:
                self.log.append(line)
                m = re.search(r"serving (http://127\.0\.0\.1:\d+)", line)
                if m:
                    self.url = m.group(1)
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(120):
            self.proc.kill()
            raise RuntimeError("docqa serve did not start:\n" + "".join(self.log))
        if ready:
            self.wait_ready()

    def wait_ready(self, timeout: float = 120) -> None:
        """Until /api/health is 200 and the semantic pass is not running: a server listens at once,
        answers 503 while its first index builds, and ranks lexically until its paragraphs are embedded."""
        import json
        import time
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=5) as response:
                    semantic = json.load(response)["semantic"]
                if semantic.get("state") != "embedding":
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"still embedding after {timeout:g} s: {semantic}")
            except urllib.error.HTTPError as exc:
                if exc.code != 503 or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def stop(self, timeout: float = 20) -> int:
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except Exception:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture
def server(corpus: Path, index_dir: Path, seed_index_template: Path):
    started = []

    def start(env: dict | None = None, args: tuple = (), ready: bool = True) -> Server:
        prebuilt(index_dir, seed_index_template)  # a no-op when the test made its own index first
        s = Server(corpus, index_dir, env, args, ready)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and every request's host."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    pg.console_errors = []
    pg.hosts = set()
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    pg.on("request", lambda r: pg.hosts.add(r.url.split("/")[2] if "://" in r.url else r.url.split(":")[0]))
    yield pg
    context.close()
