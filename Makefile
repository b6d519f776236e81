# orderwatch: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench sysdeps clean native

NATIVE := $(shell find src -name '*.c')

$(STAMP): pyproject.toml setup.py $(NATIVE)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip wheel
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

## Rebuild orderwatch's C modules in place after editing a .c file.
native: $(STAMP)
	$(BIN)/python -m pip install -q --no-deps -e .

## Debian packages the tests and benchmarks drive (chromium, Sleuth Kit, ewf-tools, ...).
sysdeps:
	@scripts/install-system-deps

demo: $(STAMP)
	$(BIN)/orderwatch demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

unit: $(STAMP) sysdeps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck unit

bench: $(STAMP) sysdeps
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
