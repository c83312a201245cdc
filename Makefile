# The course in two commands: `make lab` (work) and `make test` (check). See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
DATA   := $(or $(COURSE_DATA_DIR),data)/FashionMNIST/raw/t10k-labels-idx1-ubyte
LAB_ARGS ?=
ROOT_ARG := $(if $(filter 0,$(shell id -u)),--allow-root)  # Jupyter refuses root without it
NBVAL  := --nbval-lax --nbval-current-env --nbval-cell-timeout=600
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

.PHONY: help setup lab test lint unit notebooks bench clean

help:
	@echo "make lab    set up (once) and start JupyterLab on notebooks/"
	@echo "make test   set up (once), lint, unit tests, every notebook under nbval"
	@echo "make bench  run each notebook headless, report times and key numbers in build/bench.md"
	@echo "make clean  remove build output and caches (keeps .venv and data)"

# Reinstall only when the package list changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(DATA): | $(STAMP)
	scripts/prepare-data.sh $(BIN)/python

setup: $(STAMP) $(DATA)

lab: setup
	$(BIN)/jupyter lab $(ROOT_ARG) $(LAB_ARGS) notebooks/

lint: $(STAMP)
	$(BIN)/ruff check course_utils tests scripts notebooks

unit: setup
	COURSE_HEADLESS=1 $(BIN)/python -m pytest tests

notebooks: setup
	COURSE_HEADLESS=1 $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS)

test: lint unit notebooks

bench: setup
	COURSE_HEADLESS=1 $(BIN)/python scripts/bench.py $(NOTEBOOKS)

clean:
	rm -rf build .pytest_cache .ruff_cache
