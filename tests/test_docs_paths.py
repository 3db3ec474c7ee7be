"""Every project path the README and docs/ name exists: a file moved or renamed without its docs fails here."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# a path from the repository's root: a top-level folder, then names; `:123` line numbers are cut off
PATH = re.compile(r"(?<![\w/.-])((?:index|service|tests|docs|docs_corpus|\.ci)/[\w./-]*[\w/])(?::\d+)?")
# a model file named by its folder's last part only ("models/sentence-v2.json")
MODEL = re.compile(r"(?<![\w/.-])models/([\w.-]+\.json)")
MODEL_FOLDERS = [REPO / "index" / "models", REPO / "service" / "qa" / "models"]


def named_paths(text: str) -> set[str]:
    return set(PATH.findall(text))


def test_the_pattern_finds_paths_and_only_paths():
    text = "see `index/lexical/bm25.py:72`, docs/API.md. and (service/qa/) but not docqa index/ask or a/index/b"
    assert named_paths(text) == {"index/lexical/bm25.py", "docs/API.md", "service/qa/", "index/ask"}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_path_a_document_names_exists(doc):
    text = doc.read_text(encoding="utf-8")
    missing = sorted(p for p in named_paths(text) if not (REPO / p).exists())
    missing += sorted(f"models/{m}" for m in MODEL.findall(text) if not any((f / m).is_file() for f in MODEL_FOLDERS))
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"
