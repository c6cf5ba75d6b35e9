# jiefen: everything a fresh machine needs is installed from here.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run chat test lint clean rasa-setup rasa-train rasa-serve

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "jiefen needs Python >= 3.11")'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Set up and run the bot on the embedded defaults (SQLite, builtin NLU): the server with the
## web chat at http://127.0.0.1:8080/ (plus Telegram/WeChat when their settings are present).
run: install
	$(BIN)/jiefen db upgrade
	$(BIN)/jiefen serve

## The same bot in the terminal (console channel).
chat: install
	$(BIN)/jiefen chat

## Set up and run the tests (PostgreSQL tests run when a server answers at 127.0.0.1:5432).
test: install
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

## Rasa Open Source 3.6 in its own Python 3.10 environment (.venv-rasa), talked to over HTTP.
rasa-setup:
	bash scripts/rasa-setup.sh

rasa-train: rasa-setup
	bash scripts/rasa-train.sh

## Serves nlu/models/jiefen-nlu.tar.gz on 127.0.0.1:5005; set JIEFEN_RASA_TOKEN first.
rasa-serve: rasa-train
	bash scripts/rasa-serve.sh

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
