# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
# Python >= 3.11; use another interpreter with `make run PYTHON=python3.12`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Stamp of the last install: the virtualenv is rebuilt only when pyproject.toml changes.
STAMP := $(VENV)/.installed
DEMO_CASES ?= 300
# Extra pytest arguments: `make test PYTEST_ARGS="-k search -x"`.
PYTEST_ARGS ?=

.PHONY: run test install migrate data lint check clean

# An editable install brings the dependencies and test tools without building the
# project (it ships no package: `[tool.setuptools] packages = []`).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Python >= 3.11 is needed; $(PYTHON) is $$($(PYTHON) --version 2>&1)." \
		     "Name another one, e.g. PYTHON=python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	DEBUG=true $(BIN)/python manage.py migrate --noinput

# Idempotent: a second run finds the data in place and changes nothing.
data: migrate
	DEBUG=true $(BIN)/python manage.py load_vocabularies
	DEBUG=true $(BIN)/python manage.py load_territories
	DEBUG=true $(BIN)/python manage.py seed_demo --cases $(DEMO_CASES) --seed 1 --if-empty

run: data
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

# The whole suite, browser tests included (they need /usr/bin/chromium).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	DEBUG=true $(BIN)/lint-imports
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

check: lint test

clean:
	rm -rf $(VENV) staticfiles .pytest_cache *.egg-info
