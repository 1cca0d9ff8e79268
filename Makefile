# Vereinsraum – two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test lint setup install translations assets db chromium bench prod-check prod-serve clean

run: setup ## set everything up and serve on 127.0.0.1:5000
	$(BIN)/python -m app.devserver

# `make test` runs the suite on $(TEST_WORKERS) pytest-xdist workers, each test module on one worker (its
# module-scoped servers start once). PYTEST_ARGS="-n 0" or "-p no:xdist" runs it in one process (debugging).
TEST_WORKERS ?= 2
XDIST := $(if $(findstring no:xdist,$(PYTEST_ARGS)),,-n $(TEST_WORKERS) --dist loadfile)

test: install translations assets chromium ## install what tests need and run every test
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

lint: install ## the layer contracts (import-linter), ruff's checks and ruff's formatting
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

setup: install translations assets db

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,postgres]"
	touch $@

translations: install ## compile the message catalogs (.po -> .mo)
	$(BIN)/pybabel compile -f -d app/translations

assets: install ## static files with hashed names + .gz/.br (build/static, served by WhiteNoise)
	$(BIN)/flask assets

db: install ## migrate, load content, seed demo data when empty
	$(BIN)/flask db upgrade heads
	$(BIN)/flask content-sync
	$(BIN)/flask seed-demo --if-empty

chromium: ## Debian's chromium for the browser tests (never a downloaded browser)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for the browser tests"; \
	  $(if $(shell command -v sudo 2>/dev/null),sudo,) apt-get update -qq && \
	  $(if $(shell command -v sudo 2>/dev/null),sudo,) apt-get install -y -qq chromium >/dev/null; }

messages: install ## extract strings and update the English catalog
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

bench: setup ## performance measurements (see README)
	$(BIN)/python bench/run.py

prod-check: install translations ## the production topology on loopback: nginx, 2 × gunicorn, PostgreSQL, Redis, worker
	@for pkg in nginx redis-server postgresql; do \
	  dpkg -s $$pkg >/dev/null 2>&1 || { \
	    echo "Installing Debian $$pkg for the production check"; \
	    $(if $(shell command -v sudo 2>/dev/null),sudo,) apt-get update -qq && \
	    $(if $(shell command -v sudo 2>/dev/null),sudo,) apt-get install -y -qq $$pkg >/dev/null; }; \
	done
	$(BIN)/python deploy/prod_check.py $(PROD_CHECK_ARGS)

prod-serve: ## the same topology with demo data, kept running until Ctrl-C (URL printed)
	$(MAKE) prod-check PROD_CHECK_ARGS=--serve

clean:
	rm -rf $(VENV) .pytest_cache build
