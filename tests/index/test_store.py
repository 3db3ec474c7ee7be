import json
import logging
import subprocess
import sys
import time

import pytest

from index import build_index, load_index, open_index
from index.errors import IndexCorruptError
from index.store import current_generation


def test_round_trip_keeps_paragraphs_and_scores(corpus, index_dir):
    build_index(corpus, index_dir)
    index = load_index(index_dir)
    assert index.num_paragraphs == 45 and len(index.documents) == 2
    for info in index.documents:
        doc = index.document(info.id)
        for p in index.document_paragraphs(info.id):
            assert doc.text[p.start:p.end] == p.text
    manifest = json.loads((current_generation(index_dir) / "manifest.json").read_text())
    assert manifest["settings"]["bm25"] == {"variant": "lucene", "k1": 1.2, "b": 0.75}
    assert {d["sha256"] for d in manifest["documents"]} == {i.sha256 for i in index.documents}
    assert not list(current_generation(index_dir).glob("*.pkl"))


def test_only_changed_documents_are_analysed_again(corpus, index_dir):
    assert build_index(corpus, index_dir).analysed == 2
    (corpus / "extra.txt").write_text("A lifeboat crew from Dunkirk rescued a swimmer.")
    report = build_index(corpus, index_dir)
    assert (report.analysed, report.reused) == (1, 2)
    index, report = open_index(corpus, index_dir)
    assert report is None  # up to date: nothing rebuilt
    assert index.search("lifeboat Dunkirk", 1)[0].paragraph.document_id == "extra"
    (corpus / "extra.txt").unlink()
    index, report = open_index(corpus, index_dir)
    assert report.analysed == 0 and report.documents == 2 and index.search("lifeboat", 1) == []


def test_a_word_found_only_in_a_title_is_searchable(corpus, index_dir):
    (corpus / "zebra.md").write_text("---\ntitle: Zebra crossings\n---\nThe harbour was quiet.\n")
    build_index(corpus, index_dir)
    index = load_index(index_dir)  # the word has a column in every engine (it once had none in the body's)
    assert [h.paragraph.document_id for h in index.search("zebra", 3)] == ["zebra"]


def test_generation_files_are_written_read_only(corpus, index_dir):
    build_index(corpus, index_dir)
    modes = {p.name: p.stat().st_mode & 0o777 for p in current_generation(index_dir).iterdir()}
    assert len(modes) >= 15 and set(modes.values()) == {0o444}


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "manifest", "current", "current-bytes"],
                         ids=["truncated-file", "flipped-byte", "missing-file", "broken-manifest", "bad-pointer",
                              "pointer-not-utf8"])
def test_damaged_index_is_rebuilt_with_a_reason(corpus, index_dir, caplog, damage):
    build_index(corpus, index_dir)
    gen = current_generation(index_dir)
    for path in gen.iterdir():
        path.chmod(0o644)  # read-only as written; damage comes from someone who could write
    target = gen / "bm25_data.npy"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:-7])
    elif damage == "flip":
        data = bytearray(target.read_bytes())
        data[-3] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "delete":
        (gen / "vocab.json").unlink()
    elif damage == "manifest":
        (gen / "manifest.json").write_text("{not json")
    elif damage == "current":
        (index_dir / "CURRENT").write_text("../../etc")
    else:
        (index_dir / "CURRENT").write_bytes(b"gen-\xff\xfe\x00")
    with pytest.raises(IndexCorruptError):
        load_index(index_dir)
    caplog.set_level(logging.INFO)
    index, report = open_index(corpus, index_dir)
    assert report is not None and report.analysed == 2
    assert any("building index" in r.getMessage() for r in caplog.records)
    assert index.search("survivors", 1)[0].paragraph.text.count("two survivors") == 1


def test_older_format_is_rebuilt(corpus, index_dir):
    build_index(corpus, index_dir)
    manifest_path = current_generation(index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["settings"]["format"] = 0
    manifest_path.write_text(json.dumps(manifest))
    _, report = open_index(corpus, index_dir)
    assert report is not None and "format" in report.reason


def test_killed_build_leaves_the_previous_index_loadable(tmp_path, corpus, index_dir):
    build_index(corpus, index_dir)
    before = [(h.paragraph.document_id, h.paragraph.number) for h in load_index(index_dir).search("survivors", 3)]
    for i in range(300):
        (corpus / f"bulk{i:03d}.txt").write_text("\n\n".join(f"Paragraph {j} about ferries and tides {i}." for j in range(30)))
    script = f"from index import build_index; build_index({str(corpus)!r}, {str(index_dir)!r})"
    for delay in (0.2, 0.6, 1.2):
        proc = subprocess.Popen([sys.executable, "-c", script])
        time.sleep(delay)
        proc.kill()
        proc.wait()
        index = load_index(index_dir)  # the live generation is always complete
        hits = [(h.paragraph.document_id, h.paragraph.number) for h in index.search("survivors", 3)]
        assert hits == before or index.num_paragraphs > 45
