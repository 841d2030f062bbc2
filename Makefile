# gluelab: the two commands of the README, and their helpers.
#   make demo   set up .venv and run gluelab's main job (the demo)
#   make test   set up .venv and run the whole test suite (what CI runs)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# The lab extension: `pip install` builds it (hatch-jupyter-builder) unless extension/labextension exists,
# so a change under extension/ removes the old build and reinstalls.
LABEXT := extension/labextension/package.json
LABEXT_SOURCES := $(shell find extension/src extension/style -type f 2>/dev/null) extension/package.json extension/yarn.lock

.PHONY: setup demo test lint format bench clean

setup: $(STAMP) $(LABEXT)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gluelab needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	$(BIN)/python -m gluelab.runtime.system --install --test
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

$(LABEXT): $(LABEXT_SOURCES) | $(STAMP)
	rm -rf extension/labextension extension/lib extension/tsconfig.tsbuildinfo
	$(BIN)/pip install --quiet --no-deps -e .

demo: setup
	$(BIN)/gluelab demo

test: setup lint
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check src tests bench notebooks
	$(BIN)/ruff format --check src tests bench notebooks

format: setup
	$(BIN)/ruff format src tests bench notebooks
	$(BIN)/ruff check --fix src tests bench notebooks

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) gluelab-demo .pytest_cache .ruff_cache
