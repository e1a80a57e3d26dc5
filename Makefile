# Two commands for a new machine (see README):
#   make demo   installs everything, generates sample exports and runs the monthly DAG in Airflow
#   make test   installs everything and runs the test suite (fast unit tests first, then the rest)
# For contributors (see CONTRIBUTING.md): test-fast, lint, typecheck, generate, generate-check, lock,
# bench (the benchmark: docs/performance.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest
# Tests carrying one of these markers (pyproject.toml) run dbt, a pipeline step, Airflow or a
# linter; every other test is a fast unit test. FAST and REST together are the whole suite.
REST := slow or pipeline or lint
FAST := not ($(REST))
# pytest exits 5 when a selection holds no test (e.g. PYTEST_ARGS names a fast-only file).
NONE_SELECTED_IS_OK := || [ $$? -eq 5 ]
# The slow half runs on two workers (pytest-xdist), a test file to a worker so module fixtures are
# built once, and the tests of the default sample's session fixture on one worker (tests/conftest.py:
# xdist groups); PARALLEL= runs it in one process.
PARALLEL ?= -n 2 --dist loadgroup

.PHONY: install demo test test-fast lint typecheck generate generate-check lock bench clean postgres-server pack-tools old-duckdb

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP)

# The PostgreSQL server (Debian package) for tests/scheduler; idempotent. As root it installs the
# package when no server binaries are found; otherwise it says what is missing.
postgres-server:
	@if command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing the PostgreSQL server (Debian package postgresql) for tests/scheduler"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends postgresql >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends postgresql >/dev/null; }; \
	else echo "NOTE: tests/scheduler needs the PostgreSQL server (postgres, initdb, pg_ctl) and will fail without it:"; \
	  echo "      install it as root, e.g. 'sudo apt-get install -y postgresql'."; fi

# Headless Chromium and poppler-utils (Debian packages) for the scrutiny pack: Chromium prints it
# to PDF (workforce.pack.chromium) and tests/pack renders it; pdftoppm and pdftotext read the PDF
# back in tests/pack. Idempotent, as postgres-server: as root it installs what is missing.
pack-tools:
	@if command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing headless Chromium and poppler-utils (Debian packages chromium, poppler-utils) for the scrutiny pack"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends chromium poppler-utils >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium poppler-utils >/dev/null; }; \
	else echo "NOTE: the scrutiny pack needs Chromium (PDF) and tests/pack needs poppler-utils (pdftoppm, pdftotext):"; \
	  echo "      install them as root, e.g. 'sudo apt-get install -y chromium poppler-utils'."; fi

# An old DuckDB, as BI drivers bundle, in its own virtualenv (never in .venv: the pipeline pins
# its own): tests/publish/test_bi_file_old_duckdb.py opens the published BI file with it in a
# separate interpreter (docs/decisions/0011-files-people-open.md). Fails if it cannot install.
OLD_DUCKDB_VERSION := 1.1.3
OLD_DUCKDB_VENV := .cache/duckdb-1.1
OLD_DUCKDB_STAMP := $(OLD_DUCKDB_VENV)/.installed-$(OLD_DUCKDB_VERSION)

$(OLD_DUCKDB_STAMP):
	rm -rf $(OLD_DUCKDB_VENV)
	$(PYTHON) -m venv $(OLD_DUCKDB_VENV)
	$(OLD_DUCKDB_VENV)/bin/python -m pip install --quiet duckdb==$(OLD_DUCKDB_VERSION)
	touch $(OLD_DUCKDB_STAMP)

old-duckdb: $(OLD_DUCKDB_STAMP)

demo: install pack-tools
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# Under make test the old-DuckDB test fails, never skips, when that interpreter is missing.
test: export WORKFORCE_OLD_DUCKDB_PYTHON = $(CURDIR)/$(OLD_DUCKDB_VENV)/bin/python

# The type check, then the whole suite, quick failures first: the fast unit tests, then everything
# else (which includes a real Airflow scheduler on PostgreSQL metadata: tests/scheduler, and the
# scrutiny pack rendered in headless Chromium: tests/pack).
test: install postgres-server pack-tools old-duckdb
	$(BIN)/mypy
	$(PYTEST) -m "$(FAST)" $(PYTEST_ARGS) $(NONE_SELECTED_IS_OK)
	$(PYTEST) -m "$(REST)" $(PARALLEL) $(PYTEST_ARGS) $(NONE_SELECTED_IS_OK)

# Pure unit tests only: no dbt, no pipeline step, no Airflow run, no linter (well under a minute).
test-fast: install
	$(PYTEST) -m "$(FAST)" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check include dags tests scripts
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

# mypy over include/ (configuration in pyproject.toml, [tool.mypy]).
typecheck: install
	$(BIN)/mypy

# Files generated from the spec (include/workforce/spec/): rewrite them, or fail if any is stale.
generate: install
	$(BIN)/python -m workforce.spec.codegen

generate-check: install
	$(BIN)/python -m workforce.spec.codegen --check

# The benchmark (scripts/benchmark.py, docs/performance.md): generates 1x, 4x and 16x councils and
# prints per step seconds, MB/s and peak RSS, the whole run, a rerun, the DAG against the CLI and
# issue 10's targets. Long (the 16x council alone takes many minutes); a shorter one:
#   make bench BENCH_ARGS="--sizes 1 --dag-sizes 1"
bench: install
	$(BIN)/python scripts/benchmark.py $(BENCH_ARGS)

# The lock pins the default install and the optional [cosmos] extra (scripts/cosmos_experiment/).
lock: install
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,postgres,cosmos]'
	$(BIN)/python -m pip freeze --exclude-editable | sed '/^-e /d' > requirements.lock.new
	{ echo '# Full pinned set (pip freeze of an install of pyproject.toml [dev,cosmos]); used as pip constraints.'; \
	  echo '# Regenerate: make lock'; cat requirements.lock.new; } > requirements.lock && rm requirements.lock.new

clean:
	rm -rf $(VENV) .airflow data dbt_project/target dbt_project/logs .mypy_cache
