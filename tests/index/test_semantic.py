"""The semantic signal through the real model: embeddings, the vector files, and ranking with them."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from importlib import import_module
from pathlib import Path

import numpy as np
import pytest

from index import analyze, build_index, load_index
from index.semantic import model as semantic
from index.errors import ModelFileError
from index.semantic.vectors import PREFIX, attach, embed_generation, ensure_vectors


@pytest.fixture(scope="module")
def embedder():
    return semantic.Embedder(threads=2)


def test_vectors_are_unit_length_deterministic_and_closer_for_a_paraphrase(embedder):
    texts = ["Twenty-seven migrants drowned when their dinghy capsized in the Channel.",
             "The football club announced its new head coach on Tuesday."]
    vectors = embedder.embed(texts)
    assert vectors.shape == (2, semantic.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(embedder.embed(texts[::-1])[::-1], vectors, atol=1e-5)  # batch order changes nothing
    question = embedder.question("How many people died when the boat sank?")
    assert question @ vectors[0] > question @ vectors[1] + 0.2


def test_long_texts_are_cut_at_the_stated_token_count(embedder):
    words = "refugees " * 40
    long_tail = words + "volcano eruption lava " * 200  # beyond PASSAGE_TOKENS: the tail is not read
    assert np.allclose(embedder.embed([words * 7])[0], embedder.embed([words * 7 + long_tail])[0], atol=1e-4)


def test_a_model_file_that_does_not_match_its_sha256_is_refused(tmp_path):
    original = Path(import_module(semantic.PACKAGE).model_path())
    tampered = tmp_path / "model.onnx"
    shutil.copyfile(original, tampered)
    with open(tampered, "ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelFileError, match="sha256"):
        semantic.Embedder(model=tampered)
    with pytest.raises(ModelFileError, match="missing"):
        semantic.Embedder(tokenizer=tmp_path / "nowhere.json")


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "boats.txt").write_text("Boats\n\nThe dinghy capsized near Calais and twenty-seven people drowned.\n\n"
                                      "Rescuers pulled two survivors from the cold water.", encoding="utf-8")
    (folder / "cooking.txt").write_text("Cooking\n\nSimmer the onions slowly in butter until golden.\n\n"
                                        "Add the stock and season the soup with pepper.", encoding="utf-8")
    return folder


def test_vectors_are_written_then_reused_for_unchanged_documents(tmp_path, embedder):
    corpus, index_dir = _corpus(tmp_path / "corpus"), tmp_path / "index"
    build_index(corpus, index_dir)
    index = load_index(index_dir)
    assert attach(index) is None  # nothing embedded yet: lexical ranking
    first = embed_generation(index, embedder)
    assert first.done == index.num_paragraphs and first.matrix.shape == (index.num_paragraphs, semantic.DIMENSIONS)
    (corpus / "cooking.txt").write_text("Cooking\n\nBake the bread for forty minutes.", encoding="utf-8")
    build_index(corpus, index_dir)
    changed = load_index(index_dir)
    assert attach(changed).done == 2  # the boats document's paragraphs, until the pass runs
    counted = []
    second = embed_generation(changed, embedder, progress=lambda done, total: counted.append((done, total)))
    meta = json.loads(second.source.with_suffix(".json").read_text())
    assert (meta["embedded"], meta["reused"]) == (1, 2) and counted[-1] == (1, 1)
    boats = changed.by_id["boats"].first_paragraph
    old_boats = index.by_id["boats"].first_paragraph
    assert np.array_equal(second.matrix[second.row_of[boats]], first.matrix[first.row_of[old_boats]])
    assert sorted(p.name for p in index_dir.glob(PREFIX + "*")) == sorted([second.source.name,
                                                                          second.source.with_suffix(".json").name])


def test_a_damaged_vector_file_is_ignored_and_embedded_again(tmp_path, embedder):
    corpus, index_dir = _corpus(tmp_path / "corpus"), tmp_path / "index"
    build_index(corpus, index_dir)
    index = load_index(index_dir)
    path = embed_generation(index, embedder).source
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, other bytes
    path.write_bytes(bytes(data))
    assert attach(index, verify=True) is None and attach(index) is not None
    fresh = ensure_vectors(index)
    assert fresh.done == index.num_paragraphs
    assert json.loads(fresh.source.with_suffix(".json").read_text())["embedded"] == index.num_paragraphs  # none copied
    with open(fresh.source, "ab") as f:
        f.write(b"\0")  # another size: not even mapped
    assert attach(index) is None


def test_the_semantic_signal_ranks_and_says_how_much_it_added(tmp_path, embedder):
    corpus, index_dir = _corpus(tmp_path / "corpus"), tmp_path / "index"
    build_index(corpus, index_dir)
    index = load_index(index_dir)
    terms = dict.fromkeys(analyze("people water soup"), 1.0)
    lexical = index.search_terms(terms, 4)
    assert all(h.semantic == 0.0 for h in lexical)
    ensure_vectors(index)
    vector = semantic.query_embedder().question("How many people died in the water?")
    hits = index.search_terms(terms, 4, vector=vector)
    assert {h.paragraph.text for h in hits} == {h.paragraph.text for h in lexical}
    assert hits[0].semantic > 0 and all(h.score >= h.semantic for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)
    row_of = index.vectors.row_of.copy()
    cooking = index.by_id["cooking"]
    row_of[cooking.first_paragraph:cooking.first_paragraph + cooking.paragraphs] = -1  # candidates not embedded yet:
    # the query ranks lexically
    index.vectors = replace(index.vectors, row_of=row_of)
    assert [(h.paragraph, h.score, h.semantic) for h in index.search_terms(terms, 4, vector=vector)] == [
        (h.paragraph, h.score, 0.0) for h in lexical]
