# deskmetrics — two commands: `make demo` and `make test`.
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
# pip warns about this machine's unused local indexes: keep the log readable
QUIET_PIP := { grep -v 'is ignored: it is neither a file nor a directory' || true; }
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= deskmetrics.duckdb
TICKETS ?= 5000
# where `make demo` serves the dashboard
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test bench lint install clean docs chromium postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | $(QUIET_PIP)

# reinstall whenever the project's dependencies change
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]' 2>&1 | $(QUIET_PIP)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@# the sample's history ends now: the dashboard opens on the last 7 days, as a team lives it
	$(BIN)/deskmetrics sample --out sample --tickets $(TICKETS) --seed 7
	rm -f $(DB) $(DB).wal
	$(BIN)/deskmetrics --db $(DB) import sample
	@# what customers write about: topics found from the texts (later imports place new tickets)
	$(BIN)/deskmetrics --db $(DB) topics fit
	$(BIN)/deskmetrics --db $(DB) headline
	$(BIN)/deskmetrics --db $(DB) topics --range 30d --examples 1
	$(BIN)/deskmetrics --db $(DB) report csat fcr_rate full_resolution_time --by handled_by --versus human_only --range 30d
	$(BIN)/deskmetrics --db $(DB) report first_response_time_business fcr_rate csat --by channel --range 7d
	$(BIN)/deskmetrics --db $(DB) report volume first_response_time csat --grain week --range 30d --compare previous
	$(BIN)/deskmetrics --db $(DB) report csat csat_shrunk --by agent --range last-month
	$(BIN)/deskmetrics --db $(DB) report retention_rate churn_rate mrr mrr_growth_rate contact_rate cost_per_contact --grain month --range this-quarter
	$(BIN)/deskmetrics --db $(DB) report mentions --grain day --range 14d
	$(BIN)/deskmetrics --db $(DB) explain first_response_time --limit 10
	$(BIN)/deskmetrics --db $(DB) followups --limit 10
	$(BIN)/deskmetrics --db $(DB) sla --limit 10
	@# the alert rules as of two days ago (the day of the sample's outage), then now: the
	@# history shows the ticket surge fired and recovered, the mentions spike still firing
	$(BIN)/deskmetrics --db $(DB) alerts run --now $$($(BIN)/python -c 'from datetime import UTC, datetime, timedelta; print(f"{datetime.now(UTC) - timedelta(days=2):%Y-%m-%dT%H:%M:%SZ}")')
	$(BIN)/deskmetrics --db $(DB) alerts run
	@echo ""
	@echo "Ready: $(BIN)/deskmetrics --db $(DB) report METRIC --by channel --grain week"
	@# the dashboard on the sample data, with a login made for this demo workspace only
	@pw=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(9))'); \
	DESKMETRICS_PASSWORD="$$pw" $(BIN)/deskmetrics --db $(DB) users set demo --role viewer; \
	echo ""; \
	echo "Dashboard: http://$(HOST):$(PORT)/dashboard  sign in as: demo  password: $$pw"; \
	echo "(a login for this demo workspace only; Ctrl-C stops the server)"; \
	exec $(BIN)/deskmetrics --db $(DB) serve --host $(HOST) --port $(PORT)

# the browser tests drive Debian's chromium through Playwright (no browser is ever downloaded)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; \
	  else echo "the browser tests need /usr/bin/chromium: run 'apt-get install -y chromium' as root" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

# the parity and CLI tests start their own PostgreSQL server from Debian's packages
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "installing Debian postgresql for the warehouse tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; \
	  else echo "the warehouse tests need postgresql: run 'apt-get install -y postgresql' as root" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	fi

test: $(STAMP) chromium postgres
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_lifecycle.py --tickets 1000000
	$(BIN)/python benchmarks/bench_lifecycle.py --tickets 10000000

clean:
	rm -rf $(VENV) sample $(DB) $(DB).wal .pytest_cache .mypy_cache .ruff_cache

docs: $(STAMP)
	$(BIN)/python -m deskmetrics.metrics.docs > docs/metrics.md
