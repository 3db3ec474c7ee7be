"""The import shim for Debian's Xapian bindings: loads them into the venv only when their ABI fits."""

from __future__ import annotations

import sysconfig

import pytest

from index.shards.bindings import DEBIAN_FOLDERS, XapianMissingError, extension_name, load_from, xapian


def test_the_bindings_load_and_work_in_this_venv(tmp_path):
    x = xapian()
    assert x.major_version() == 1 and x.minor_version() >= 4
    db = x.WritableDatabase(str(tmp_path / "db"), x.DB_CREATE_OR_OVERWRITE)
    doc = x.Document()
    doc.add_term("Bboat", 3)
    db.add_document(doc)
    db.commit()
    assert db.get_doccount() == 1 and db.get_termfreq("Bboat") == 1


def test_the_extension_name_is_this_interpreters_abi():
    assert extension_name() == "_xapian" + sysconfig.get_config_var("EXT_SUFFIX")
    assert any((folder / "xapian" / extension_name()).is_file() for folder in DEBIAN_FOLDERS)


def test_bindings_built_for_another_python_are_refused_with_what_to_do(tmp_path):
    package = tmp_path / "xapian"
    package.mkdir()
    (package / "__init__.py").write_text("raise SystemExit('must never run')\n")
    (package / "_xapian.cpython-39-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    with pytest.raises(XapianMissingError) as caught:
        load_from(tmp_path)
    assert "built for another Python" in caught.value.detail and "cpython-39" in caught.value.detail
    assert "apt-get install xapian-tools python3-xapian" in caught.value.detail


def test_a_folder_without_bindings_says_what_to_install(tmp_path):
    with pytest.raises(XapianMissingError, match="apt-get install"):
        load_from(tmp_path)
