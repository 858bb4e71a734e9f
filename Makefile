# `make run` serves the demo, `make serve` the production server (README: Deploying),
# `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_CONCURRENCY ?= 2

.PHONY: run serve test test-sqlite test-postgres venv lint bench fuzz load

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

# Production: DEBUG off (SECRET_KEY and ALLOWED_HOSTS must be set), the database migrated, the
# cache table made (used when CACHE_URL is unset), static files collected with hashed names, and
# gunicorn with WEB_CONCURRENCY workers; every other setting from the environment as for `run`
# (GUNICORN_CMD_ARGS adds gunicorn's own options). No control socket: its default path in the
# home directory would be shared by two servers on one machine.
serve: venv
	DEBUG=false $(BIN)/python manage.py migrate --noinput
	DEBUG=false $(BIN)/python manage.py createcachetable
	DEBUG=false $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DEBUG=false exec $(BIN)/gunicorn kb.wsgi --bind $(HOST):$(PORT) --workers $(WEB_CONCURRENCY) \
		--access-logfile - --error-logfile - --no-control-socket

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

# The read API fuzzed (not part of `make test`): schemathesis, from its own virtualenv, against
# `make serve` on a throwaway database with the demo (SQLite; FUZZ_DATABASE_URL or DATABASE_URL
# for PostgreSQL). Fails on any 5xx or answer outside the OpenAPI schema. FUZZ_EXAMPLES sets the
# test cases per operation.
FUZZ_EXAMPLES ?= 100
.venv-fuzz/.installed: requirements-fuzz.txt
	$(PYTHON) -m venv .venv-fuzz
	.venv-fuzz/bin/python -m pip install --quiet -r requirements-fuzz.txt
	touch .venv-fuzz/.installed

fuzz: venv .venv-fuzz/.installed
	$(BIN)/python -m tests.deploy.fuzz --examples $(FUZZ_EXAMPLES)

# A bounded load (not part of `make test`): LOAD_CLIENTS clients send LOAD_REQUESTS requests in
# all to the production server (gunicorn, 2 workers, DEBUG off) started on the configured
# database (DATABASE_URL, or the demo's SQLite file after `make run`), over the API's lists, an
# entity's facts and the pages; prints requests per second and latency percentiles, and fails on
# any 5xx. LOAD_URL drives a server already running instead.
LOAD_CLIENTS ?= 8
LOAD_REQUESTS ?= 2000
load: venv
	$(BIN)/python manage.py kb_load --clients $(LOAD_CLIENTS) --requests $(LOAD_REQUESTS) \
		$(if $(LOAD_URL),--url $(LOAD_URL))
