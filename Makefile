# Peepers: every task is a make target. Needs only python3 (>= 3.11) and make; uv is bootstrapped.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := .venv/bin/python
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: help install dev serve test lint format bench stop browser clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced ## Install Python dependencies into .venv (uv, from uv.lock)
	$(PY) -m peepers.i18n_compile

dev: install ## Run Peepers: migrate, seed the demo, web (autoreload) + worker + beat
	$(PY) -m peepers.run dev

serve: install ## Run production-style: gunicorn (WEB_CONCURRENCY) + worker + beat, DJANGO_ENV=production
	$(PY) -m peepers.run serve

browser: ## Install Debian's Chromium for the browser tests (once; Playwright drives it)
	@if command -v chromium >/dev/null; then :; \
	elif ! command -v apt-get >/dev/null; then \
		echo "!! no apt-get here to install Debian's chromium: the browser tests will be SKIPPED"; \
	else \
		echo "installing chromium (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

test: install browser ## Run the whole test suite (embedded PostgreSQL/Redis unless URLs are set)
	DJANGO_ENV=test $(PY) -m pytest $(PYTEST_ARGS)

lint: install ## ruff (format + lint), mypy, Django checks, missing migrations
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy .
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run

format: install ## Apply ruff's formatting and safe fixes
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: install ## Run the benchmarks; JSON results in bench/results/
	DJANGO_ENV=test $(PY) -m bench

stop: ## Stop the embedded PostgreSQL/Redis if nothing uses them
	$(PY) -m peepers.embedded stop

clean: stop ## Remove the virtualenv and caches (the tests' .data/pycache too; keeps the rest of .data/)
	rm -rf .venv .tools .mypy_cache .ruff_cache .data/pycache
