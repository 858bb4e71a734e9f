# The two commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-sqlite test-postgres venv lint bench

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# The demo is loaded into an empty database only: a second run keeps what the first one holds.
run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py import_bundle --if-empty kb/demo/peru.json
	@echo ""
	@echo "Anyone may read http://$(HOST):$(PORT)/ and /api/v1/."
	@echo "To sign in and write, create an account with a role (it asks for the password twice):"
	@echo "   $(BIN)/python manage.py grant_role YOUR_NAME editor --create    # or: analyst"
	@echo "Keep superusers (createsuperuser) for administrators: a superuser passes every check."
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite on SQLite, then on PostgreSQL as well when DATABASE_URL is set.
test: venv
	env -u DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== the same suite on $$DATABASE_URL =="; \
		$(BIN)/python -m pytest; \
	else \
		echo "(DATABASE_URL is not set: PostgreSQL skipped)"; \
	fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
