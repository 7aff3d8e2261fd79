# Two commands: `make run` (pipeline on the bundled demo snapshot) and `make test`.
# Both build the virtualenv from the committed lock file first; nothing needs installing by hand.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

# Airflow keeps its state (SQLite metadata, logs) inside the checkout, ignored by git.
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION := True
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= INFO
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
export PATH := $(BIN):$(PATH)
AIRFLOW_DB := $(AIRFLOW_HOME)/airflow.db

.PHONY: help run run-live test test-clock-ahead lint format lock standin airflow airflow-ui clean sql docs report chaos

help:
	@echo "make run       run the pipeline through Airflow on the bundled DEMO snapshot (offline)"
	@echo "make run-live  run the same DAG against the UN Comtrade and IMF APIs"
	@echo "make test      lint and run the test suite"
	@echo "make test-clock-ahead  the same with the clock set to 2028 (libfaketime): nothing may depend on the day"
	@echo "make standin   serve the demo snapshot as stand-in APIs on 127.0.0.1:8765"
	@echo "make chaos     fault-injection suite: the DAG against misbehaving stand-ins; table in README"
	@echo "make airflow   Airflow's scheduler, dag-processor and UI on 127.0.0.1:AIRFLOW_PORT (8080); Ctrl-C stops"
	@echo "make lock      re-resolve requirements.lock from requirements.in"
	@echo "make sql       DuckDB SQL shell on the published copy, read-only (pipe SQL in to run it)"
	@echo "make docs      dbt's documentation as a static site in published/docs/ (offline)"
	@echo "make report    charts of the published marts in published/report.html (one offline file)"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv installs the lock in seconds; plain pip is the fallback if uv cannot be had.
	@if $(BIN)/python -m pip install -q "uv==$(UV_VERSION)" 2>/dev/null && \
		$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock && \
		$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e . ; then :; \
	else \
		echo "uv unavailable; installing with pip (about a minute)"; \
		$(BIN)/python -m pip install -q -r requirements.lock && \
		$(BIN)/python -m pip install -q --no-deps -e . ; \
	fi
	@touch $(STAMP)

$(AIRFLOW_DB): $(STAMP)
	@mkdir -p $(AIRFLOW_HOME)
	@echo "Preparing Airflow metadata database in $(AIRFLOW_HOME) ..."
	@$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || { tail -20 $(AIRFLOW_HOME)/db-migrate.log; exit 1; }
	@touch $(AIRFLOW_DB)

run: export EURASIA_SOURCE := snapshot
run: $(AIRFLOW_DB)
	@$(BIN)/python -m eurasia.dagrun eurasia_pipeline

run-live: export EURASIA_SOURCE := live
run-live: $(AIRFLOW_DB)
	@$(BIN)/python -m eurasia.dagrun eurasia_pipeline

# The clock test (tests/test_clock.py) runs the demo pipeline with the clock set years ahead under
# libfaketime, installed here when missing; where it cannot be, that test skips and says why.
faketime:
	@command -v faketime >/dev/null || { echo "installing faketime for the clock test ..."; \
		{ apt-get update -qq && apt-get install -y -qq faketime; } >/dev/null 2>&1 || \
		echo "could not install faketime (apt-get needs root and a package mirror): the clock test will skip, saying so"; }

test: $(AIRFLOW_DB) faketime
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# The whole of `make test` with every process's clock in 2028: the same landed data must give the
# same marts and pass the same tests on any day. The virtualenv and Airflow's database are made
# first, on the real clock (package indexes' TLS certificates are checked against it). The
# monotonic clock is left alone: it is no calendar, and Python's timed waits (a call's deadline)
# hang when libfaketime shifts it; tests/clock_ahead/sitecustomize.py works around the one
# call libfaketime 0.9.10 then breaks (time.sleep).
test-clock-ahead: $(AIRFLOW_DB) faketime
	@command -v faketime >/dev/null || { echo "faketime is not installed and could not be (apt-get needs root and a package mirror)"; exit 1; }
	PYTHONPATH=$(CURDIR)/tests/clock_ahead FAKETIME_DONT_FAKE_MONOTONIC=1 \
		faketime '2028-06-15 09:00:00' $(MAKE) --no-print-directory test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: $(STAMP)
	$(BIN)/uv pip compile requirements.in --python-version 3.11 -o requirements.lock

standin: $(STAMP)
	$(BIN)/python -m eurasia.demo.standin --port 8765

# Every fault class (eurasia/chaos/faults.py) against the real DAG and stand-in APIs on
# 127.0.0.1, in a scratch folder; prints the table and keeps the latest in README.md.
chaos: $(AIRFLOW_DB)
	@$(BIN)/python -m eurasia.chaos --update-readme

# Analysts' tools read the published copy (EURASIA_SOURCE=live for the live one), never the
# warehouse being built. `echo "select 1" | make sql` runs piped SQL and exits.
sql: $(STAMP)
	@$(BIN)/python -m eurasia.analyst_tools sql

docs: $(STAMP)
	@$(BIN)/python -m eurasia.analyst_tools docs

report: $(STAMP)
	@$(BIN)/python -m eurasia.html_report

# Airflow's api-server (UI and REST API), scheduler and dag-processor in the foreground, state in
# .airflow/; every visitor is an admin, so it listens on 127.0.0.1 only. The scheduler runs
# eurasia_pipeline monthly once it is unpaused. Ctrl-C stops it all.
# (It creates or upgrades the metadata database itself at each start.)
airflow: $(STAMP)
	@$(BIN)/python -m eurasia.localairflow

airflow-ui: airflow

clean:
	@# Everything runs made: Airflow state, warehouses (demo and live) with their raw zones.
	rm -rf $(AIRFLOW_HOME) warehouse/* dbt_project/target dbt_project/logs
