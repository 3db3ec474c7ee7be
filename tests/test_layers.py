"""The package boundaries: index never imports Flask or service; qa never Flask or lab; web never lab."""

import subprocess
import sys

import pytest

from tests.conftest import REPO

BOUNDARIES = [
    ("index", "import index, index.store.build, index.lexical.layered, index.lexical.search, index.shards.sharded, "
              "index.semantic.vectors", ("flask", "service")),
    ("service.qa", "import service.qa.answers, service.qa.responses", ("flask", "service.lab", "service.web")),
    ("service.web", "import service.web, service.web.api, service.web.writes, service.web.pages; "
                    "service.web.create_app", ("service.lab", "bm25s")),
    ("service.cli", "import service.cli", ("service.lab", "bm25s")),  # lab only for eval/bench, lazily
]


@pytest.mark.parametrize("name, statement, forbidden", BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_a_package_never_imports_what_sits_above_it(name, statement, forbidden):
    top = "{'flask', 'service', 'bm25s', 'scipy'}"
    code = f"{statement}; import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {top}))"
    loaded = eval(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 cwd=REPO).stdout)
    assert not [m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)]
