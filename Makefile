# Two commands for a new machine (see README):
#   make demo   installs everything, generates sample exports and runs the monthly DAG in Airflow
#   make test   installs everything and runs the test suite (fast unit tests first, then the rest)
# For contributors (see CONTRIBUTING.md): test-fast, lint, typecheck, generate, generate-check, lock.
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

.PHONY: install demo test test-fast lint typecheck generate generate-check lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# The type check, then the whole suite, quick failures first: the fast unit tests, then everything else.
test: install
	$(BIN)/mypy
	$(PYTEST) -m "$(FAST)" $(PYTEST_ARGS) $(NONE_SELECTED_IS_OK)
	$(PYTEST) -m "$(REST)" $(PYTEST_ARGS) $(NONE_SELECTED_IS_OK)

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

# The lock pins the default install and the optional [cosmos] extra (scripts/cosmos_experiment/).
lock: install
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,cosmos]'
	$(BIN)/python -m pip freeze --exclude-editable | sed '/^-e /d' > requirements.lock.new
	{ echo '# Full pinned set (pip freeze of an install of pyproject.toml [dev,cosmos]); used as pip constraints.'; \
	  echo '# Regenerate: make lock'; cat requirements.lock.new; } > requirements.lock && rm requirements.lock.new

clean:
	rm -rf $(VENV) .airflow data dbt_project/target dbt_project/logs .mypy_cache
