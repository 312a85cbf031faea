# UrbanOps — the two commands of the README, and the checks.
#   make demo   install everything, start the platform with demo data on the embedded PostgreSQL
#   make test   install what the tests need and run all of them

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test test-fast lint typecheck format check browser-deps bench clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# data (embedded PostgreSQL, media) under ./var of the checkout unless URBANOPS_HOME is set;
# `make clean` removes it (the `urbanops` command alone uses the per-user data directory)
demo: install
	URBANOPS_HOME="$${URBANOPS_HOME:-$(CURDIR)/var}" $(BIN)/urbanops demo --host $(HOST) --port $(PORT)

serve: install
	URBANOPS_HOME="$${URBANOPS_HOME:-$(CURDIR)/var}" $(BIN)/urbanops serve --host $(HOST) --port $(PORT)

# Debian's Chromium and CJK fonts for the browser tests (no browser downloads are possible)
browser-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || ! fc-list 2>/dev/null | grep -qi 'Noto Color Emoji'; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null; \
	fi

# pytest exits 5 when it collects nothing: that is not a failure of the suite
test: install browser-deps check
	$(BIN)/pytest -q -p no:cacheprovider || [ $$? -eq 5 ]

test-fast: install
	$(BIN)/pytest -q -m "not browser" || [ $$? -eq 5 ]

# the pages' JavaScript: eslint (eslint.config.js) and prettier (.prettierrc.json), from npm
JS := "src/urbanops/web/static/**/*.js" eslint.config.js

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	node_modules/.bin/eslint --max-warnings 0
	node_modules/.bin/prettier --check $(JS)

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench
	node_modules/.bin/prettier --write --log-level warn $(JS)

typecheck: install
	$(BIN)/mypy

check: lint typecheck

bench: install
	$(BIN)/urbanops bench intake --reports 3000 --concurrency 32

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
