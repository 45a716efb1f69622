# crmkit developer commands. `make demo` and `make test` bootstrap .venv by themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
export NO_MKDOCS_2_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help demo test lint typecheck unit docs docs-build examples bench clean browser compiled compiler test-compiled

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

test: $(VENV)/.dev browser  ## every check: lint, format, types, tests, docs, examples, compiled fold
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy --strict src/crmkit
	$(BIN)/pytest -n auto
	$(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site
	@for f in examples/*.py; do echo "== $$f"; MPLBACKEND=Agg $(PY) $$f > /dev/null || exit 1; done
	@$(MAKE) --no-print-directory test-compiled

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

# The loyalty fold compiled with mypyc: pyproject's hatch-mypyc hook builds the wheel
# in a copy of the tree (the hook writes its extensions beside the sources it compiles,
# where the editable install would import them), and the wheel is unpacked into
# build/compiled, rebuilt whenever a source changes.
COMPILED := build/compiled
SOURCES  := $(shell find src -name '*.py') pyproject.toml

$(COMPILED)/.built: $(SOURCES) | $(VENV)/.dev
	rm -rf build/wheel-src build/wheel $(COMPILED)
	mkdir -p build/wheel-src build/wheel $(COMPILED)
	cp -r pyproject.toml README.md src build/wheel-src/
	find build/wheel-src -name __pycache__ -prune -exec rm -rf {} +
	cd build/wheel-src && HATCH_BUILD_HOOK_ENABLE_MYPYC=1 ../../$(PY) -m pip wheel --quiet \
	  --no-deps --no-build-isolation --wheel-dir ../wheel .
	$(PY) -m zipfile -e build/wheel/crmkit-*.whl $(COMPILED)
	@touch $@

# A C compiler and the Python headers, from Debian's packages when missing and apt-get
# can (root); otherwise the compiled fold is not built, and test-compiled says so.
compiler:
	@command -v cc >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc >/dev/null && \
	  echo "installed gcc for the compiled loyalty fold"; } || true
	@$(PY) -c "import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-dev >/dev/null && \
	  echo "installed the Python headers for the compiled loyalty fold"; } || true

compiled: $(VENV)/.dev compiler  ## build the mypyc-compiled loyalty fold into build/compiled
	@$(MAKE) --no-print-directory $(COMPILED)/.built

# The loyalty suite (and the contract and bad-input suites over it) against the compiled
# fold, after checking that the compiled modules are the ones imported. Without a C
# compiler (none found and none installable) it says so and stops: a failing build fails.
test-compiled: $(VENV)/.dev compiler  ## the loyalty suite on the compiled fold
	@if ! command -v cc >/dev/null 2>&1; then \
	  echo "no C compiler: the mypyc-compiled loyalty fold is neither built nor tested"; \
	else \
	  $(MAKE) --no-print-directory $(COMPILED)/.built && \
	  PYTHONPATH=$(COMPILED) $(PY) -c "import crmkit.loyalty._ledger as m; \
	    assert m.__file__.endswith('.so'), m.__file__; print('compiled fold:', m.__file__)" && \
	  PYTHONPATH=$(COMPILED) HYPOTHESIS_PROFILE=compiled $(BIN)/pytest -n auto -q -p no:cacheprovider tests/loyalty \
	    tests/test_bad_input_loyalty.py tests/test_contract.py; \
	fi

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .hypothesis site
	find src -name '*.so' -delete  # a compiled build run in this checkout leaves them
