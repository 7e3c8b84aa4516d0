# Warga: `make run` serves the demo API, `make test` runs the whole suite. Both set up a fresh
# machine (virtual environment, install) on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-stamp
PORT ?= $(or $(WARGA_PORT),8000)

# The suite runs on SQLite and on this PostgreSQL; set it empty to run on SQLite alone.
WARGA_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export WARGA_TEST_DATABASE_URL

.PHONY: install run test app lint format bench clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,app]'
	touch $@

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/warga db upgrade
	$(BIN)/warga demo
	WARGA_PORT=$(PORT) $(BIN)/warga serve

# Two workers (pytest-xdist), each with its own PostgreSQL database (tests/backend/conftest.py);
# worksteal keeps both busy when one draws the long app scenarios.
TEST_WORKERS ?= 2
test: $(INSTALLED)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

app: $(INSTALLED)
	$(BIN)/python -m mobile --api http://127.0.0.1:$(PORT)

# Benchmarks need wrk (Debian package); installed here when missing.
bench: $(INSTALLED)
	command -v wrk >/dev/null || apt-get install -y -q wrk || sudo apt-get install -y -q wrk
	$(BIN)/python -m bench.foundation
	$(BIN)/python -m bench.complaints
	$(BIN)/python -m bench.dashboard --count 100000
	$(BIN)/python -m bench.integrations
	SDL_VIDEODRIVER=offscreen $(BIN)/python bench/app_start.py

# Ruff, then mypy over backend/, shared/ and mobile/core/ (paths and strictness in pyproject.toml;
# its cache in .mypy_cache makes a repeated run take seconds).
lint: $(INSTALLED)
	$(BIN)/ruff check backend shared mobile tests bench
	$(BIN)/ruff format --check backend shared mobile tests bench
	$(BIN)/mypy

format: $(INSTALLED)
	$(BIN)/ruff check --fix backend shared mobile tests bench
	$(BIN)/ruff format backend shared mobile tests bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
