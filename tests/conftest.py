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


@pytest.fixture
def app(corpus: Path, index_dir: Path):
    from service import create_app

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
