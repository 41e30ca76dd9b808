# The order portal. `make run` starts everything; `make test` checks everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format install system-deps messages migrate demo db-stop clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start web + Celery worker + beat on the embedded PostgreSQL (or DATABASE_URL).
run: $(STAMP)
	./scripts/run.sh

## ruff + mypy + the whole test suite (browser tests included) on PostgreSQL.
test: $(STAMP) system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PORTAL_TESTING=1 $(VENV)/bin/mypy
	PORTAL_TESTING=1 $(PY) manage.py makemigrations --check --dry-run >/dev/null
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## Debian packages the browser and PDF tests need: Chromium, CJK fonts, poppler.
system-deps:
	@./scripts/system-deps.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PORTAL_TESTING=1 $(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Extract and compile translations (the .po/.mo files are committed).
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

## Stop the embedded PostgreSQL if `make run` left it running.
db-stop: $(STAMP)
	$(PY) -m config.embedded stop

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache

## Benchmarks at scale: a separate database, 1M orders, bench/RESULTS.md.
## BENCH_ORDERS=100000 for a quick run; BENCH_ARGS="--no-load-test" etc. are passed on.
BENCH_DB ?= bench_portal
BENCH_ORDERS ?= 1000000
BENCH_URL ?= postgres://postgres@127.0.0.1:5432/$(BENCH_DB)
.PHONY: bench
bench: $(STAMP)
	psql "$(dir $(BENCH_URL))postgres" -qc 'DROP DATABASE IF EXISTS $(BENCH_DB)' -c 'CREATE DATABASE $(BENCH_DB)'
	DATABASE_URL=$(BENCH_URL) PORTAL_TESTING=1 $(PY) manage.py migrate --noinput >/dev/null
	DATABASE_URL=$(BENCH_URL) $(PY) -m bench.generate --orders $(BENCH_ORDERS)
	DATABASE_URL=$(BENCH_URL) $(PY) -m bench.run $(BENCH_ARGS)
	@cat bench/RESULTS.md
