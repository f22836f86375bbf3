# Two entry points a newcomer needs: `make demo` and `make test` (see README, Quick start).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint bench load clean

# The web map's dev tools (ESLint), from webmap/package-lock.json; again when the lock changes.
NODE_STAMP := webmap/node_modules/.installed-stamp
$(NODE_STAMP): webmap/package.json webmap/package-lock.json
	cd webmap && npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tuban demo --host $(HOST) --port $(PORT)

# The web map's unit tests (Node's test runner, no DOM), then pytest. pytest exits 5 when it
# collected nothing; that must fail, not pass quietly.
test: $(STAMP) $(NODE_STAMP)
	node --test webmap/tests/
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

# Figures, not pass/fail: see benchmarks/README.md (N=1000000 for the large run).
N ?= 100000
bench: $(STAMP)
	$(PY) benchmarks/import_bench.py --n $(N) --timeout 1200

# 50 loopback users mixing map reads and case writes, 2 minutes per backend (benchmarks/README.md).
USERS ?= 50
LOAD_SECONDS ?= 120
load: $(STAMP)
	$(PY) benchmarks/load_bench.py --users $(USERS) --seconds $(LOAD_SECONDS)

lint: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/ruff check geo storage runtime api reports webmap tuban_cli tests sample_data benchmarks
	$(VENV)/bin/mypy
	cd webmap && npx --no-install eslint .

clean:
	rm -rf $(VENV) tuban-data .pytest_cache .hypothesis
