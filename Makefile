# Everything a fresh machine needs: `make serve` and `make test` create .venv and install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# axe-core (MPL-2.0) for the accessibility test, from the npm registry, checked by its sha256
AXE_VERSION := 4.10.3
AXE_SHA256 := 880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb
AXE := $(VENV)/axe-core/axe.min.js

.PHONY: serve test check lint index docs screenshot chromium xapian clean

serve: $(VENV)/.runtime
	$(BIN)/docqa serve

index: $(VENV)/.runtime
	$(BIN)/docqa index

test: lint $(VENV)/.test chromium xapian $(AXE)
	$(BIN)/pytest

# The edit loop: lint and types, then the unit, API and CLI tests (no browser, no server processes, no
# long runs); about two minutes here.
check: lint
	$(BIN)/pytest -q -m "not browser and not server and not slow" tests/index tests/qa tests/web tests/lab \
		tests/test_layers.py tests/e2e/test_cli.py tests/e2e/test_chat_terminal.py tests/test_docs_paths.py

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/mypy

docs: $(VENV)/.test
	DOCQA_WRITE_DOCS=1 $(BIN)/pytest -q tests/web/test_api_doc.py

screenshot: $(VENV)/.test chromium
	$(BIN)/python tests/screenshot.py docs/screenshot.png

$(VENV)/.runtime: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lab]'
	touch $@

$(AXE):
	mkdir -p $(VENV)/axe-core
	cd $(VENV)/axe-core && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && \
		tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js package/LICENSE && \
		rm axe-core-$(AXE_VERSION).tgz
	echo "$(AXE_SHA256)  $(AXE)" | sha256sum -c --quiet

# Browser tests drive Debian's Chromium; Playwright never downloads a browser of its own.
chromium:
	@test -x /usr/bin/chromium || { \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The sharded engine's tests run real xapian-tcpsrv shards: Debian's xapian-tools and python3-xapian (the
# bindings are not on PyPI; index/xapian_bindings.py loads them into the venv after checking their ABI).
xapian:
	@{ command -v xapian-tcpsrv >/dev/null && test -f /usr/lib/python3/dist-packages/xapian/__init__.py; } || { \
		echo "installing Debian's xapian-tools and python3-xapian for the sharded engine"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq xapian-tools python3-xapian; }

clean:
	rm -rf $(VENV) instance .pytest_cache
