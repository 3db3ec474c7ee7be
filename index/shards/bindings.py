"""Xapian's Python bindings, for the sharded engine (index/shards.py): from the environment if it has them,
else Debian's `python3-xapian`, loaded from its own folder after checking it was built for this Python.

The bindings are not on PyPI; Debian builds them for its system Python 3.11. A venv on another build of
3.11 can load them only when the extension's ABI tag (EXT_SUFFIX, e.g. `.cpython-311-x86_64-linux-gnu.so`)
is this interpreter's, so the shim checks that first and otherwise says what to install. Only the
`xapian` package is loaded, never the rest of the system's site-packages. Nothing runs at import.
"""

from __future__ import annotations

import importlib.util
import sys
import sysconfig
from functools import cache
from pathlib import Path

from index.errors import DocqaError

DEBIAN_FOLDERS = (Path("/usr/lib/python3/dist-packages"),)
INSTALL_HINT = "install Debian's bindings: apt-get install xapian-tools python3-xapian"


class XapianMissingError(DocqaError):
    title = "Xapian unavailable"


def extension_name() -> str:
    """The file name this interpreter needs for the bindings' compiled part."""
    return "_xapian" + sysconfig.get_config_var("EXT_SUFFIX")


def load_from(folder: Path):
    """The `xapian` package in `folder`, if its extension fits this interpreter; XapianMissingError says why not."""
    package = folder / "xapian"
    if not (package / "__init__.py").is_file():
        raise XapianMissingError(f"no Xapian bindings in {folder}; {INSTALL_HINT}")
    if not (package / extension_name()).is_file():
        found = ", ".join(sorted(p.name for p in package.glob("_xapian*"))) or "none"
        raise XapianMissingError(f"the Xapian bindings in {package} were built for another Python (found {found}, "
                                 f"this Python {sys.version.split()[0]} needs {extension_name()}); {INSTALL_HINT} "
                                 "for this Python, or run docqa on the system's python3")
    spec = importlib.util.spec_from_file_location("xapian", package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    if spec is None or spec.loader is None:  # not for a .py file; checked for the type checker
        raise XapianMissingError(f"cannot load the Xapian bindings in {package}; {INSTALL_HINT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["xapian"] = module
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        del sys.modules["xapian"]
        raise XapianMissingError(f"the Xapian bindings in {package} do not load here ({exc}); {INSTALL_HINT}") from None
    return module


@cache
def xapian():
    """The bindings module (imported once); XapianMissingError with what to do when there are none."""
    try:
        import xapian as module
        return module
    except ImportError:
        pass
    errors = []
    for folder in DEBIAN_FOLDERS:
        try:
            return load_from(folder)
        except XapianMissingError as exc:
            errors.append(exc.detail)
    raise XapianMissingError(errors[0] if errors else f"no Xapian bindings; {INSTALL_HINT}")


def available() -> bool:
    try:
        xapian()
    except XapianMissingError:
        return False
    return True
