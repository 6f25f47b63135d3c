# Two entry points for a fresh machine: `make chat` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install chat ask test clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	# The CPU wheel first: any other torch requirement pulls GBs of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

chat: install
	$(BIN)/assistant chat

ask: install
	$(BIN)/assistant ask "How many civilians were killed in Ganja?"

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .assistant
