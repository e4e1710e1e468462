# The desk's two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test lint format install messages browsers check-deploy docker clean bench bench-sweep

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# Web (127.0.0.1:8000), Celery worker and beat on SQLite and the embedded
# filesystem broker, with demo data. DATABASE_URL / REDIS_URL switch to real services.
run: export DEBUG ?= 1
run: $(STAMP) messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Desk:      http://127.0.0.1:8000/"
	@echo "API docs:  http://127.0.0.1:8000/api/docs/"
	@echo "Admin:     http://127.0.0.1:8000/admin/"
	@echo "Press Ctrl-C to stop web, worker and beat."
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

# The whole suite. With DATABASE_URL and REDIS_URL set (CI) it runs on PostgreSQL and Redis.
# Browser tests drive Debian's Chromium; screenshots go to test-artifacts/browser/.
test: $(STAMP) messages browsers
	$(BIN)/python -m pytest --cov --cov-branch --cov-report= $(PYTEST_ARGS)
	$(BIN)/python -m coverage report --include=sla/calendar.py --fail-under=100 --show-missing

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The compiled catalogues (.mo) are committed so a machine without GNU gettext
# still speaks Danish, Norwegian and Swedish; this refreshes them when msgfmt exists.
messages: $(STAMP)
	@if command -v msgfmt >/dev/null; then $(BIN)/python manage.py compilemessages --ignore=.venv -v 0; \
	  else echo "msgfmt not found: using the committed translations"; fi

# Debian's Chromium for the Playwright tests (Playwright's own browser download is not used).
browsers:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is not installed: browser tests will skip (CI fails). Try: sudo apt-get install chromium"; \
	  fi; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/calendar.py

# The SLA sweep and a burst of 10,000 breaches (bench/README.md). Needs DATABASE_URL (a
# scratch PostgreSQL database it may fill) and REDIS_URL (a Redis database it may empty).
bench-sweep: $(STAMP)
	$(BIN)/python -m bench.sweep

check-deploy: $(STAMP)
	SUPPORTDESK_PROFILE=production SECRET_KEY=$$(head -c 64 /dev/urandom | base64 | tr -d '\n/+=') \
	  ALLOWED_HOSTS=desk.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

docker:
	docker compose up --build

clean:
	rm -rf var/broker var/broker-processed var/celerybeat-schedule* .pytest_cache .coverage
