# Developer targets. `make test` is what CI runs (after scripts/setup.sh); `make test-fast` is the
# inner loop: no real servers, no model weights, about 4 minutes on 2 cores (two worker processes).
PY ?= python3
CODE = pipeline flows tests bench

.PHONY: setup fmt lint typecheck test-fast test check

setup:
	bash scripts/setup.sh

fmt:
	$(PY) -m ruff format $(CODE)
	$(PY) -m ruff check --fix $(CODE)

lint:
	$(PY) -m ruff format --check $(CODE)
	$(PY) -m ruff check $(CODE)

typecheck:
	$(PY) -m mypy pipeline flows

test-fast:
	$(PY) -m pytest -m "not slow" -q -n 2 --dist worksteal

test:
	$(PY) -m pytest -n 2 --dist worksteal

check: lint typecheck test
