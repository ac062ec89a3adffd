# The two commands of the README: `make run` and `make test`.
.PHONY: run test setup lint typecheck unit bench fuzz clean

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/osteoboard demo --out out

lint: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench

typecheck: setup
	.venv/bin/mypy src

unit: setup
	.venv/bin/pytest

test: lint typecheck unit

# A larger, randomised run of the fuzzer in tests/fuzz and of every other property test
# (make test runs a small fixed sequence of each).
FUZZ_EXAMPLES ?= 2500
fuzz: setup
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) OSTEOBOARD_HYPOTHESIS=explore .venv/bin/pytest tests/fuzz --hypothesis-show-statistics
	OSTEOBOARD_HYPOTHESIS=explore .venv/bin/pytest -q --ignore=tests/fuzz tests

bench: setup
	.venv/bin/python bench/run.py

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache .hypothesis
