# `make train` and `make test` work on a fresh clone: each creates .venv from requirements.lock first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock | md5sum | cut -c1-12)

# The shared read-only datasets, when this checkout sits beside them (project machines, CI).
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)),)
export LABKIT_DATA ?= $(SHARED_DATA)
endif
SHARED_WEIGHTS := $(abspath ../shared/weights)
ifneq ($(wildcard $(SHARED_WEIGHTS)),)
export LABKIT_WEIGHTS_DIR ?= $(SHARED_WEIGHTS)
endif

.PHONY: install train test test-slow lint format bench lock clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-* && touch $@

train: install  ## run the default experiment (mnist_mlp); extra Hydra overrides via ARGS="..."
	$(PY) train.py $(ARGS)

test: install  ## lint, then the fast test suite
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest $(ARGS)

test-slow: install  ## the long tests (full datasets, many epochs)
	$(PY) -m pytest -m slow $(ARGS)

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install  ## run every benchmark and write benchmarks/RESULTS.md
	$(PY) benchmarks/run_all.py

lock: install  ## re-pin the tested set after changing pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	(echo "# The tested set (Python 3.11, x86_64). Regenerate with: make lock"; \
	 $(PY) -m pip freeze --exclude-editable) > requirements.lock

clean:
	rm -rf outputs multirun .pytest_cache .ruff_cache
