# cvkit: the two set-up commands are `make demo` and `make test`; everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
TEST_STAMP    := $(VENV)/.test-installed

.PHONY: demo test browser java notebooks lab bench clean help

help:
	@echo "make demo       set up .venv, run the demo engagement end to end, print the deliverable's path"
	@echo "make test       set up .venv (with test tools and Chromium), run the whole test suite"
	@echo "make notebooks  re-execute the stored notebooks on the demo data"
	@echo "make lab        open JupyterLab on the notebooks"
	@echo "make bench      run the benchmarks against their anchors (slow; installs anchors separately)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "cvkit needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@# setuptools warns on every editable install of a flat layout (a cvkit/ folder beside the project
	@# file may shadow the package): that is this layout by design, so the build's warnings are not shown.
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(TEST_STAMP): $(RUNTIME_STAMP) requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-test.txt
	@touch $@

demo: $(RUNTIME_STAMP)
	$(BIN)/cvkit demo build/demo-engagement --output-dir outputs

# Headless Chromium for the deliverable's browser checks (Debian's package), installed when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser checks..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# A Java runtime for the Spark tests (pyspark's JVM; Debian's headless JRE), installed when missing.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing Debian's headless Java runtime for the Spark tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    default-jre-headless >/dev/null; }

test: $(TEST_STAMP) browser java
	$(BIN)/python -m pytest

notebooks: $(RUNTIME_STAMP)
	$(BIN)/python -m cvkit.devtools execute-notebooks

# JupyterLab refuses to run as root unless told to (containers often are root).
lab: $(RUNTIME_STAMP)
	$(BIN)/jupyter lab notebooks/ $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

bench: $(RUNTIME_STAMP)
	for b in benchmarks/drivers.py benchmarks/choice.py benchmarks/segments.py benchmarks/clv.py; do \
	  $(BIN)/python $$b || exit 1; done

clean:
	rm -rf build outputs .pytest_cache test-artifacts
