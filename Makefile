# Two commands do everything: `make run` and `make test`. Both create .venv when it is
# missing and install the project into it; nothing is installed globally.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run install-user test lint screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

# Exit 3 means "quit before anything was saved": an answer, not a failure for make.
run: $(STAMP_RUN)
	@$(BIN)/mailwiz $(ARGS); status=$$?; [ $$status -eq 0 ] || [ $$status -eq 3 ] || exit $$status

# `mailwiz` on your PATH: a link in ~/.local/bin (or BINDIR) to .venv/bin/mailwiz.
BINDIR ?= $(HOME)/.local/bin
install-user: $(STAMP_RUN)
	@mkdir -p $(BINDIR)
	@ln -sfn $(abspath $(BIN))/mailwiz $(BINDIR)/mailwiz
	@echo "$(BINDIR)/mailwiz -> $(abspath $(BIN))/mailwiz"
	@case ":$$PATH:" in *":$(BINDIR):"*) ;; \
	  *) echo "$(BINDIR) is not on your PATH: add it (export PATH=\"$(BINDIR):\$$PATH\")";; esac

lint: $(STAMP_TEST)
	$(BIN)/ruff check tui tests bench scripts
	$(BIN)/ruff format --check tui tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

# Line coverage is printed and must stay at 90 % or more. The commands' own processes (also
# those run as another user) write their data into a folder anyone may write, removed after.
COVERAGE_MIN ?= 90
test: lint
	@dir=$$(mktemp -d /tmp/mailwiz-coverage.XXXXXX) && chmod 1777 "$$dir" && \
	MAILWIZ_COVERAGE_DIR="$$dir" $(BIN)/python -m pytest --cov --cov-report=term \
		--cov-fail-under=$(COVERAGE_MIN) $(PYTEST_ARGS); status=$$?; rm -rf "$$dir"; exit $$status

screenshots: $(STAMP_TEST)
	$(BIN)/python scripts/export_screenshots.py

bench: $(STAMP_TEST)
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/send_startup.py

clean:
	rm -rf $(VENV) build *.egg-info
