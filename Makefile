# Two commands on a fresh machine with Python 3.11 and make:
#   make run    installs the service into .venv and serves http://127.0.0.1:8000
#   make test   installs the test dependencies and runs the whole test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test serve-deps test-deps train evaluate benchmark docker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

serve-deps: $(BIN)/python
	$(BIN)/pip install --quiet -e .

test-deps: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

run: serve-deps
	$(BIN)/digitpad-serve

test: test-deps
	$(BIN)/python -m pytest

train: test-deps
	$(BIN)/digitpad-train --data-dir ../shared/data/mnist

evaluate: test-deps
	$(BIN)/digitpad-evaluate --data-dir ../shared/data/mnist

benchmark: test-deps
	$(BIN)/python -m benchmarks.serving

docker:
	docker build -t digitpad .

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
