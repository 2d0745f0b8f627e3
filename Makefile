# Two commands for a newcomer: `make run` (demo programme on embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export VAR_DIR ?= $(CURDIR)/var

.PHONY: run test setup browser mailserver lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

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

clean:
	rm -rf $(VENV) var artifacts .pytest_cache
