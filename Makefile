# crmkit developer commands. `make demo` and `make test` bootstrap .venv by themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
export NO_MKDOCS_2_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help demo test lint typecheck unit docs docs-build examples bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Runtime install (for the demo): the package alone, editable.
$(VENV)/.runtime: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

# Everything the checks need: dev and docs extras.
$(VENV)/.dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,docs]'
	@touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime  ## run the report on the built-in sample data
	$(BIN)/crmkit demo

test: $(VENV)/.dev  ## every check: lint, format, types, tests, docs, examples
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy --strict src/crmkit
	$(BIN)/pytest
	$(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site
	@for f in examples/*.py; do echo "== $$f"; MPLBACKEND=Agg $(PY) $$f > /dev/null || exit 1; done

lint: $(VENV)/.dev  ## ruff only
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(VENV)/.dev  ## mypy --strict only
	$(BIN)/mypy --strict src/crmkit

unit: $(VENV)/.dev  ## pytest only
	$(BIN)/pytest

docs: $(VENV)/.dev  ## serve the docs site on localhost:8000
	$(BIN)/mkdocs serve

docs-build: $(VENV)/.dev  ## build the docs site strictly
	$(BIN)/mkdocs build --strict --site-dir $(VENV)/site

bench: $(VENV)/.dev  ## run every benchmark (slow; results go to docs/performance.md by hand)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis site
