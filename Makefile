# Two commands on a fresh machine with Python 3.11 and make:
#   make run    installs the service into .venv and serves http://127.0.0.1:8000
#   make test   installs the test dependencies and runs the whole test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

# Training's non-digits: Fashion-MNIST and fonts from Debian (training/negatives.py).
TRAIN_PACKAGES := dataset-fashion-mnist fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-comic-neue \
	fonts-humor-sans fonts-dkg-handwriting fonts-breip fonts-bwht fonts-femkeklaver fonts-dancingscript \
	fonts-kaushanscript fonts-kristi
# The tests' throw-away PostgreSQL server (support/postgres.py).
TEST_PACKAGES := postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lock serve-deps test-deps test-packages js-deps js train-data train train-fashion train-dense train-numbers evaluate benchmark docker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs are from the locks in requirements/: the exact version of everything serving, or the
# tests, need, so that a fresh install gets the same versions every day; the project itself comes
# after, without resolving again. Stamps: pip runs again only when a lock or pyproject.toml changed.
$(VENV)/.serve-deps: requirements/serve.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/serve.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.test-deps: requirements/test.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.serve-deps

# The locks, from pyproject.toml's dependencies and its test extra, for Linux x86_64 and Python 3.11
# (the Docker image's and CI's). Run after changing a dependency: uv keeps every pin that still fits
# and resolves only what changed; UPGRADE=--upgrade moves every pin to the newest allowed. The serve
# lock is constrained by the test lock, so that what is served is what was tested.
UV_VERSION := 0.13.9
LOCK := $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --python-platform x86_64-manylinux_2_28 --annotation-style line --quiet
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(LOCK) $(UPGRADE) --extra test --output-file requirements/test.lock
	$(LOCK) $(UPGRADE) --constraint requirements/test.lock --output-file requirements/serve.lock

serve-deps: $(VENV)/.serve-deps
test-deps: $(VENV)/.test-deps

run: serve-deps
	$(BIN)/digitpad-serve

train-data:
	@dpkg -s $(TRAIN_PACKAGES) >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(TRAIN_PACKAGES); }

test-packages:
	@dpkg -s $(TEST_PACKAGES) >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(TEST_PACKAGES); }

# The page's JavaScript: TypeScript (its check) and axe-core (the browser tests') at the
# versions of package-lock.json, in node_modules/; npm ci runs again only when the lock changed.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

js-deps: node_modules/.package-lock.json

# Its modules against their JSDoc types (tsc) and parsed by Node, and its tests (node --test).
js: js-deps
	npm run --silent check
	npm test --silent

test: test-deps train-data test-packages js
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

train: test-deps train-data
	$(BIN)/digitpad-train --data-dir ../shared/data/mnist

train-fashion: test-deps train-data
	$(BIN)/digitpad-train --recipe fashion

train-dense: test-deps train-data
	$(BIN)/digitpad-train --recipe dense --data-dir ../shared/data/mnist

train-numbers: test-deps train-data
	$(BIN)/digitpad-train --recipe numbers --data-dir ../shared/data/mnist

evaluate: test-deps train-data
	$(BIN)/digitpad-evaluate --data-dir ../shared/data/mnist

benchmark: test-deps
	$(BIN)/python -m benchmarks.serving

docker:
	docker build -t digitpad .

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
