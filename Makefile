# kapcare: `make run` to try it with demo data, `make test` before you push.
# Works on a fresh Debian machine: the first run creates .venv and installs everything.

PORT ?= 8000
# The bedside monitors' HL7 v2 listener (MLLP) beside the server; another free port if taken.
MLLP_PORT ?= 2575
# Test processes (pytest-xdist): one per core by default; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Installed packages are refreshed when pyproject.toml is newer than this file.
STAMP := $(VENV)/.kapcare-installed
MANAGE := $(BIN)/python manage.py
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_GET := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
# Development commands run with DEBUG on unless the environment says otherwise, and the
# links in emails point at the port being served.
DEV := DEBUG=$${DEBUG:-1} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}
# Prints "demo", "other" (clinics, but not the demo's) or "empty".
CLINIC_STATE := from kapcare.clinics.models import Clinic; \
	print("demo" if Clinic.objects.filter(slug="music-city").exists() \
	else "other" if Clinic.objects.exists() else "empty")

.DEFAULT_GOAL := help
.PHONY: help run test install lint format demo migrate chromium pdf-libraries serve bench bench-ci

help:
	@echo "make run      set up, load the demo and serve on http://127.0.0.1:$(PORT) (with a worker"
	@echo "              and the monitors' MLLP listener on port $(MLLP_PORT), MLLP_PORT=…)"
	@echo "make test     lint, then the whole test suite (browser tests included)"
	@echo "make install  create .venv and install kapcare with its dev tools"
	@echo "make demo     migrate and load the demo data (DEBUG on)"
	@echo "make lint     ruff check and ruff format --check"
	@echo "make format   ruff: fix what it can, then format"
	@echo "make serve    production: collectstatic, migrate, gunicorn with DEBUG off"
	@echo "make bench    load the pages beside a bare view; report in var/bench/ (BENCH_ARGS=…)"

$(BIN)/python:
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || \
		{ $(APT_GET) update && $(APT_GET) install -y python3-venv; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(STAMP) pdf-libraries

# WeasyPrint (signed consents as PDF) needs Pango from the system.
PANGO := /usr/lib/$(shell uname -m)-linux-gnu/libpangoft2-1.0.so.0
pdf-libraries:
	@test -e $(PANGO) || { $(APT_GET) update && $(APT_GET) install -y libpango-1.0-0 libpangoft2-1.0-0; }

migrate: install
	$(DEV) $(MANAGE) migrate --noinput

demo: migrate
	$(DEV) $(MANAGE) demo

run: migrate
	@state=$$($(DEV) $(MANAGE) shell --verbosity 0 -c '$(CLINIC_STATE)' | tail -n 1); \
	case "$$state" in \
		empty|demo) $(DEV) $(MANAGE) demo ;; \
		other) echo "The database already has clinics of its own; the demo was not loaded." ;; \
		*) echo "Could not read the database to decide whether to load the demo." >&2; exit 1 ;; \
	esac
	@echo "Serving kapcare on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	@echo "A background worker beside it sends the emails and runs the minute job;"
	@echo "bedside monitors send HL7 v2 to the MLLP listener (port $(MLLP_PORT), or a free one)."
	@$(DEV) $(MANAGE) db_worker --no-reload & worker=$$!; \
	$(DEV) $(MANAGE) mllp_listener --port $(MLLP_PORT) --or-free-port & mllp=$$!; \
	trap 'kill $$worker $$mllp 2>/dev/null; wait $$worker $$mllp 2>/dev/null' EXIT INT TERM; \
	$(DEV) $(MANAGE) runserver 127.0.0.1:$(PORT)

# Debian's own Chromium drives the browser tests; Playwright never downloads a browser.
chromium:
	@test -x $(CHROMIUM) || { $(APT_GET) update && $(APT_GET) install -y chromium; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install chromium lint
	@echo "Test database: $$(echo "$${DATABASE_URL:-sqlite (default, in memory)}" \
		| sed -E 's#(://[^:/@]*):[^@]*@#\1@#')"
	$(BIN)/pytest -n $(TEST_WORKERS)

# Production (docs/deploying.md): DEBUG off, so settings refuse a weak SECRET_KEY or no
# ALLOWED_HOSTS before anything runs. With OWNER_DATABASE_URL set, migrations run as the
# owner role and the app role (DATABASE_URL's user) is granted its rights afterwards.
PROD := DEBUG=0
APP_ROLE := import os, dj_database_url; print(dj_database_url.parse(os.environ["DATABASE_URL"])["USER"])
serve: install
	$(PROD) $(MANAGE) collectstatic --noinput --verbosity 0
	@if [ -n "$$OWNER_DATABASE_URL" ]; then \
		$(PROD) DATABASE_URL="$$OWNER_DATABASE_URL" $(MANAGE) migrate --noinput && \
		$(PROD) DATABASE_URL="$$OWNER_DATABASE_URL" $(MANAGE) grant_app_role \
			"$$($(BIN)/python -c '$(APP_ROLE)')"; \
	else \
		$(PROD) $(MANAGE) migrate --noinput; \
	fi
	$(PROD) GUNICORN_BIND=$${GUNICORN_BIND:-127.0.0.1:$(PORT)} \
		$(BIN)/gunicorn --config kapcare/gunicorn.conf.py

# The load harness (docs/performance/README.md): each role's pages and the API under load
# beside a bare Django view, against gunicorn with DEBUG off on a free loopback port and the
# database of DATABASE_URL; the report (Markdown and JSON) lands in var/bench/. The command
# itself runs with DEBUG on: it refuses a production database.
BENCH_ARGS ?=
bench: install
	$(DEV) $(MANAGE) bench $(BENCH_ARGS)

# CI's bench: on a fresh PostgreSQL database (DATABASE_URL), 2,000 generated patients, one
# user then 8 (enough to saturate the 4 workers while a response stays shorter than a page's
# turn), with the relaxed budget, which fails only on a clear regression.
bench-ci: install
	@case "$$DATABASE_URL" in postgres*) ;; \
		*) echo "bench-ci needs DATABASE_URL naming a fresh PostgreSQL database." >&2; exit 1 ;; esac
	$(DEV) $(MANAGE) migrate --noinput
	@state=$$($(DEV) $(MANAGE) shell --verbosity 0 -c '$(CLINIC_STATE)' | tail -n 1); \
	test "$$state" = empty || { echo "bench-ci needs a fresh database; this one has clinics." >&2; exit 1; }
	$(DEV) $(MANAGE) generate_network --patients 2000 --seed 1
	$(DEV) $(MANAGE) bench --users 1 8 --duration 30 100 --budget relaxed --out var/bench/ci
