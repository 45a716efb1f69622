# crmkit developer commands. `make demo` and `make test` bootstrap .venv by themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
export NO_MKDOCS_2_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help demo test lint typecheck unit docs docs-build examples bench clean browser

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Runtime install (for the demo): the package and its plot extra (the report's figures).
$(VENV)/.runtime: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[plot]'
	@touch $@

# Everything the checks need: dev and docs extras.
$(VENV)/.dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,docs]'
	@touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime  ## print the text demo and write the HTML report (its path is printed last)
	$(BIN)/crmkit demo
	@$(BIN)/crmkit report $(VENV)/report

# The report's browser test needs Chromium. Install Debian's package when it is missing and
# apt-get can (root); otherwise the test skips and says why. Never fails the build.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && \
	    echo "installed chromium for the report's browser test"; } || \
	  echo "chromium not installed: the report's browser test will skip"

test: $(VENV)/.dev browser  ## every check: lint, format, types, tests, docs, examples
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

unit: $(VENV)/.dev browser  ## pytest only
	$(BIN)/pytest

docs: $(VENV)/.dev  ## serve the docs site on localhost:8000
	$(BIN)/mkdocs serve

docs-build: $(VENV)/.dev  ## build the docs site strictly
	$(BIN)/mkdocs build --strict --site-dir $(VENV)/site

bench: $(VENV)/.dev  ## run every benchmark (slow; results go to docs/performance.md by hand)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis site
