# Two commands do all set-up on a fresh clone:
#   make run    install the app and launch it (first launch seeds the demo universe)
#   make test   install app + test tools and run the whole suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A stamp per requirements set: re-installs only when a pinned file changes.
$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install -q -r requirements.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/workbench init
	$(BIN)/streamlit run streamlit_app.py

test: install-dev
	bash scripts/test.sh

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
