# Two commands: `make run` (the whole workbench with demo data) and `make test`.
# Both install what a fresh machine lacks first: system packages (scripts/system-packages,
# as root; otherwise it prints the one apt-get line to run), then the virtualenv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSTEM := PYTHON=$(PYTHON) scripts/system-packages

.PHONY: run test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run:
	@$(SYSTEM) run
	@$(MAKE) --no-print-directory $(STAMP)
	$(PY) -m workbench.devserver

test:
	@$(SYSTEM) test
	@$(MAKE) --no-print-directory $(STAMP)
	$(PY) -m pytest

lint:
	@$(MAKE) --no-print-directory $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench:
	@$(SYSTEM) test
	@$(MAKE) --no-print-directory $(STAMP)
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) instance
