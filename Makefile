# Vetted: `make run` to serve on http://127.0.0.1:5000, `make test` to run the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

export FLASK_APP := app

.PHONY: run install test lint format demo worker bench clean cluster cluster-stop docs drills

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app run --host 127.0.0.1 --port 5000

worker: install
	$(BIN)/python worker.py

demo: install
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app demo seed

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DRILL_BURST=20 $(BIN)/python -m pytest -m "not drill or fast_drill" $(PYTEST_ARGS)

drills: install
	DRILL_BURST=$${DRILL_BURST:-300} $(BIN)/python -m pytest -m drill tests/drills -v $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache

cluster: install
	deploy/cluster.sh start

cluster-stop:
	deploy/cluster.sh stop

docs: install
	$(BIN)/python scripts/envdoc.py --env > .env.example
	$(BIN)/python scripts/readme_config.py
