# The two commands of the README: `make run` and `make test`.
.PHONY: run demo test setup lint typecheck unit bench fuzz clean

setup:
	@bash scripts/setup.sh

# The web app on http://127.0.0.1:8000/ with the demo cases on a demo meeting in ./data (the
# first start prints the accounts' passwords, once). Plain HTTP on loopback: the session
# cookie is sent without the Secure flag here.
run: setup
	.venv/bin/osteoboard demo-data
	@echo "osteoboard: http://127.0.0.1:8000/ (Strg+C beendet / Ctrl+C stops)"
	OSTEOBOARD_COOKIE_SECURE=false .venv/bin/osteoboard serve --host 127.0.0.1 --port 8000

# Every demo case evaluated on the console, protocol and letter written to out/.
demo: setup
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
