# orderwatch: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench sysdeps clean native

NATIVE := $(shell find src -name '*.c' -o -name '*.h')
# Byte-code for orderwatch's own modules, as pip writes it for an installed package (an editable
# install has none, and with PYTHONDONTWRITEBYTECODE set every process would compile them anew).
COMPILE := @$(BIN)/python -m compileall -q -j0 src > /dev/null

$(STAMP): pyproject.toml setup.py $(NATIVE)
	@scripts/install-system-deps build || echo "make: no SQLite headers: _visitlines builds without its SQLite reader"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip wheel
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(COMPILE)
	@touch $(STAMP)

## Rebuild orderwatch's C modules in place after editing a .c or .h file.
native: $(STAMP)
	$(BIN)/python -m pip install -q --no-deps -e .

## Debian packages the tests and benchmarks drive (chromium, Sleuth Kit, ewf-tools, ...).
sysdeps:
	@scripts/install-system-deps

demo: $(STAMP)
	$(COMPILE)
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
	$(COMPILE)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
