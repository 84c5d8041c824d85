# The two commands of the README. Both create or update .venv first, so they work on a
# fresh clone with nothing but python3 (>= 3.11) installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
STAMP := $(VENV)/.installed

.PHONY: run test lint format install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changed.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all,dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: migrate the embedded SQLite database and serve the example with gunicorn.
run: install
	$(BIN)/python manage.py migrate --no-input
	DJANGO_SETTINGS_MODULE=example.settings $(BIN)/gunicorn -c python:axiomod.gunicorn_config \
		example.wsgi:application --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--access-logfile - --graceful-timeout 20

## make test: lint, format check, then the whole test suite (two pytest processes at
## once, split by directory: see tests/lanes.py).
test: install lint
	$(BIN)/python tests/lanes.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench NAME=metrics: run one benchmark (never part of make test).
bench: install
	$(BIN)/python -m bench $(NAME)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
