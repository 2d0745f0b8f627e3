# Two commands for a newcomer: `make run` (demo programme on embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export VAR_DIR ?= $(CURDIR)/var

.PHONY: run test setup lock browser mailserver lint bench load clean

# The whole dependency tree is pinned with hashes in the lock files; `make lock` rewrites them
# from pyproject.toml (`make lock UPGRADE=1` also moves every pin to its newest release).
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
PIP_VERSION := 26.3
UV_VERSION := 0.13.9

$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK)
	@$(PYTHON) tools/dependency_lock.py check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

LOCK_FLAGS = --quiet --generate-hashes --universal --python-version 3.11 $(if $(UPGRADE),--upgrade)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o $(DEV_LOCK)
	$(PYTHON) tools/dependency_lock.py stamp $(LOCK) $(DEV_LOCK)

# Debian's Chromium and ChromeDriver for the browser tests (no browser download is possible).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium missing: sudo apt-get install chromium chromium-driver (browser tests will be skipped)"; fi; }

# Debian's Dovecot for the IMAP tests of calendar replies (each test starts its own, on a free port).
mailserver:
	@command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; \
	  else echo "dovecot missing: sudo apt-get install dovecot-imapd (IMAP tests will be skipped)"; fi; }

run: setup
	mkdir -p $(VAR_DIR)
	$(BIN)/coaching init-db
	$(BIN)/coaching demo --if-empty
	@echo "Starting the worker (invites, reminders, solves) in the background; log in var/worker.log"
	$(BIN)/coaching worker > $(VAR_DIR)/worker.log 2>&1 & echo $$! > $(VAR_DIR)/worker.pid
	@echo "Open http://127.0.0.1:5000/  (Ctrl-C stops the web server; the worker stops with it)"
	trap 'kill $$(cat $(VAR_DIR)/worker.pid) 2>/dev/null' EXIT INT TERM; $(BIN)/coaching serve --host 127.0.0.1 --port 5000

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy solver

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
test: setup browser mailserver lint
	$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$status

# Benchmarks are run by hand, never by the tests: `make bench BENCH_ARGS="W1 W2 W3 --time-limit W3=60"`.
BENCH_ARGS ?= W1 W2
bench: setup
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# The load scenario, by hand only: gunicorn + PostgreSQL + a Celery worker on Redis, all on
# 127.0.0.1, 200 users for 60 s, beside the baseline ref: `make load LOAD_ARGS="--baseline main"`.
LOAD_ARGS ?= --baseline main
load: setup
	$(BIN)/python benchmarks/load/run.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var artifacts .pytest_cache
