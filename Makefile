# Two commands for a fresh machine:
#   make chat   set up the venv, prepare the demo store (catalog, FAQ, orders, router) and serve the chat
#   make test   set up the venv and run the test suite CI runs (everything but slow, gpu and browser)
# While developing: make test-unit (model-free tier, seconds) and make lint (what CI checks first).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 7860

.PHONY: chat test test-unit lint install setup serve test-all bench clean

$(BIN)/aisle: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

install: $(BIN)/aisle

setup: install
	$(BIN)/aisle setup

serve: install
	$(BIN)/aisle serve --port $(PORT)

chat: setup serve

test: lint
	$(BIN)/python -m pytest -m "not slow and not gpu"

test-unit: install
	$(BIN)/python -m pytest -m unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-all: install
	$(BIN)/python -m pytest -m "not gpu"

bench: install
	$(BIN)/aisle bench all

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
