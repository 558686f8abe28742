# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_CASES ?= 300

.PHONY: run test install migrate data lint check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	DEBUG=true $(BIN)/python manage.py migrate --noinput

data: migrate
	DEBUG=true $(BIN)/python manage.py load_vocabularies
	DEBUG=true $(BIN)/python manage.py load_territories
	DEBUG=true $(BIN)/python manage.py seed_demo --cases $(DEMO_CASES) --seed 1 --if-empty

run: data
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
