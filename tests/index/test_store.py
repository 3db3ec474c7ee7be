import json
import logging
import subprocess
import sys
import time

import pytest

from index import build_index, load_index, open_index
from index.errors import IndexCorruptError
from index.store.generations import current_generation


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


def test_stored_term_offsets_are_the_analysers_in_every_paragraph_new_or_reused(corpus, index_dir):
    from index.analysis import analyze_spans

    (corpus / "notes.md").write_text("# Notes\n\nHarbour log\nThe IL-10 crew rescued 44,000 people, the co–operation said.\n")
    build_index(corpus, index_dir)
    (corpus / "extra.txt").write_text("A lifeboat crew from Dunkirk rescued a swimmer.")
    build_index(corpus, index_dir)  # the earlier documents' offsets are reused, the new one's analysed
    index = load_index(index_dir)
    assert any(index.paragraph(i).heading for i in range(index.num_paragraphs))  # a heading's terms are left out
    for i in range(index.num_paragraphs):
        assert index.term_spans(i) == tuple(analyze_spans(index.paragraph(i).text)), index.paragraph(i)


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


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "manifest", "manifest-key", "current",
                                    "current-bytes"],
                         ids=["truncated-file", "flipped-byte", "missing-file", "broken-manifest", "manifest-key-renamed",
                              "bad-pointer", "pointer-not-utf8"])
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
    elif damage == "manifest-key":  # still JSON: a flipped byte in a key name
        manifest = json.loads((gen / "manifest.json").read_text())
        manifest["files"]["bm25_data.npy"]["bztes"] = manifest["files"]["bm25_data.npy"].pop("bytes")
        (gen / "manifest.json").write_text(json.dumps(manifest))
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


def test_a_document_whose_file_can_no_longer_be_read_keeps_its_last_good_version(corpus, index_dir, caplog):
    from tests.made_files import minutes_docx

    good = minutes_docx()
    (corpus / "minutes.docx").write_bytes(good)
    build_index(corpus, index_dir)
    (corpus / "minutes.docx").write_bytes(good[:2000])  # damaged since: a later read fails
    (corpus / "notes.txt").write_bytes(b"\xff\xfe not UTF-8")  # new and unreadable: skipped as before
    with caplog.at_level(logging.WARNING):
        build_index(corpus, index_dir)
    index = load_index(index_dir)
    assert "£3.2 million" in index.document("minutes").text  # still served, from the last good version
    assert "notes" not in {d.id for d in index.documents}
    stale = index.manifest["stale"]
    assert list(stale) == ["minutes.docx"] and "damaged or truncated" in stale["minutes.docx"]["reason"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "minutes.docx" in errors[0].getMessage()
    assert open_index(corpus, index_dir)[1] is None  # nothing changed since: no rebuild loop
    (corpus / "minutes.docx").write_bytes(good.replace(b"word/", b"word/", 1))  # fixed: read again
    (corpus / "minutes.docx").touch()
    index, report = open_index(corpus, index_dir)
    assert report is not None and index.manifest["stale"] == {} and index.info("minutes")


def test_documents_over_a_limit_are_skipped_when_new_and_kept_when_indexed_before(corpus, index_dir, caplog):
    from index.documents.limits import DocumentLimits

    (corpus / "short.txt").write_text("The ferry left at dawn.\n\nIt returned at dusk.")
    build_index(corpus, index_dir)
    (corpus / "short.txt").write_text("\n\n".join(f"Paragraph {n} of the log." for n in range(40)))
    (corpus / "long.txt").write_text("\n\n".join(f"Line {n} of the list." for n in range(40)))
    with caplog.at_level(logging.WARNING):
        build_index(corpus, index_dir, limits=DocumentLimits(max_paragraphs=30))
    index = load_index(index_dir)
    assert "long" not in {d.id for d in index.documents}
    assert "skipped long.txt: long.txt: 40 paragraphs; the limit is 30" in caplog.text
    assert index.document("short").text.startswith("The ferry left at dawn.")
    assert "40 paragraphs" in index.manifest["stale"]["short.txt"]["reason"]


def test_files_deleted_while_the_corpus_is_read_are_left_out_without_an_error(corpus, index_dir):
    """A delete racing the corpus listing: a file listed, then gone before its stat or its read."""
    import threading

    from index import Bm25Params
    from index.store.generations import changed_documents, is_current

    build_index(corpus, index_dir)
    index = load_index(index_dir)
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            for n in range(30):
                (corpus / f"churn-{n}.txt").write_text("Churned text.")
            for n in range(30):
                (corpus / f"churn-{n}.txt").unlink()

    thread = threading.Thread(target=churn)
    thread.start()
    try:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            for _ in range(20):
                is_current(index, corpus, "bm25s", Bm25Params())
                changed_documents(index, corpus)
            build_index(corpus, index_dir)
    finally:
        stop.set()
        thread.join()
