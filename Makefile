# Two commands do all the set-up on a fresh machine:
#   make run    install into .venv and run the baseline scenario end to end
#   make test   install into .venv and run the test suite
# Python 3.12 or newer is found on PATH or under pyenv; override with `make PYTHON=/path/to/python3.12`.

PYTHON ?= $(shell for candidate in python3.12 $(HOME)/.pyenv/versions/3.12*/bin/python3 python3.13 $(HOME)/.pyenv/versions/3.13*/bin/python3; do \
	$$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && echo $$candidate && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the explorer's packages and the browser tests' driver; Debian's chromium when root can install it
BROWSER_STAMP := $(VENV)/.installed-browser

.PHONY: run test install lint benchmark clean explore

# compat: a plain path in site-packages instead of an import hook, so Python starts in a few ms and
# Ctrl-C reaches Amparo's own handler almost at once (issue 18, signals)
EDITABLE := --config-settings editable_mode=compat

$(STAMP): pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || (echo "Python 3.12 or newer was not found; run make PYTHON=/path/to/python3.12" >&2; exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements.lock $(EDITABLE) -e '.[dev,cluster]'
	touch $(STAMP)

install: $(STAMP)

$(BROWSER_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c requirements.lock $(EDITABLE) -e '.[dev,cluster,explore,browser]'
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "/usr/bin/chromium is missing and cannot be installed (needs root and apt-get):" \
			     "the browser tests will be skipped" >&2; \
		fi; \
	fi
	touch $(BROWSER_STAMP)

run: $(STAMP)
	$(BIN)/amparo run scenarios/baseline_2008.toml

test: $(BROWSER_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

explore: $(BROWSER_STAMP)
	$(BIN)/amparo explore

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf $(VENV)
