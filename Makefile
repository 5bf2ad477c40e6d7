# batch-rest-client. On a fresh machine: `make demo` (the main job) and `make test` (everything CI runs).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# pyenv installs 3.11, 3.12 and 3.13 side by side but only shims the selected one: put each version's own bin
# first on PATH so that tox (py311, py312, py313) and $(PYTHON) find them. Harmless without pyenv.
empty :=
space := $(empty) $(empty)
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null)
PYENV_BINS := $(foreach v,3.11 3.12 3.13,$(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/$(v).*/bin))))
ifneq ($(strip $(PYENV_BINS)),)
export PATH := $(subst $(space),:,$(strip $(PYENV_BINS))):$(PATH)
endif
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv demo test generate check-generated update-spec remove-spec vendor bench lint type clean

help:
	@echo "make demo              list every segment from the embedded fake Batch server, through the CLI"
	@echo "make test              every check CI runs: tox (py311 py312 py313 lint type generated contract evolution operations packaging readme)"
	@echo "make generate          regenerate generated/ from openapi/ (its pages merged, patched; pinned openapi-python-client + ruff)"
	@echo "make check-generated   fail, with a diff, if generated/ is not what make generate writes (or a page is not verbatim)"
	@echo "make update-spec SOURCE=<file or https address> [URL=<its address>] [TIMEOUT=<s>]   take a docs page (.md) or"
	@echo "                       a whole document (YAML, or JSON of many operations): add or replace, regenerate, summarise"
	@echo "make remove-spec PAGE=<name in openapi/pages.json>   remove a page, regenerate, summarise"
	@echo "make vendor DEST=<dir> PACKAGE=<name>   write <dir>/<name>/: the client as one package to copy into another repo"
	@echo "make bench             the benchmarks (ratios measured side by side)"

$(STAMP): requirements/tools.txt requirements/test.txt requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt -e .
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python tools/demo.py

test: $(STAMP)
	$(BIN)/tox run

generate: $(STAMP)
	$(BIN)/python tools/generate.py

check-generated: $(STAMP)
	$(BIN)/python tools/generate.py --check

update-spec: $(STAMP)
	@test -n "$(SOURCE)" || { echo "usage: make update-spec SOURCE=<file or https address> [URL=<its address>] [TIMEOUT=<seconds>]"; exit 2; }
	$(BIN)/python tools/update_spec.py "$(SOURCE)" $(if $(URL),--url "$(URL)") $(if $(TIMEOUT),--timeout "$(TIMEOUT)")

remove-spec: $(STAMP)
	@test -n "$(PAGE)" || { echo "usage: make remove-spec PAGE=<name in openapi/pages.json>"; exit 2; }
	$(BIN)/python tools/update_spec.py --remove "$(PAGE)"

# The drift check first, so that the provenance it writes (pages, API version) is what generated/ comes from.
vendor: $(STAMP)
	@test -n "$(DEST)" -a -n "$(PACKAGE)" || { echo "usage: make vendor DEST=<dir> PACKAGE=<name>"; exit 2; }
	$(BIN)/python tools/generate.py --check
	$(BIN)/python tools/vendor.py "$(DEST)" "$(PACKAGE)"

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/tox run -e lint

type: $(STAMP)
	$(BIN)/tox run -e type

clean:
	rm -rf $(VENV) .tox build dist tests/contract/node_modules .bench
	find . -name __pycache__ -prune -exec rm -rf {} +
