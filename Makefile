# The two commands a newcomer needs: `make run` and `make test`. Both do all set-up first.
SHELL := /bin/bash
UV_VERSION := 0.13.8
UV := .tools/uv-venv/bin/uv
PY := .venv/bin/python

.PHONY: setup run test lint bench demo clean-data

setup: .venv/.synced .tools/bin/ferretdb .tools/bin/helm
	@scripts/ensure-redis.sh

$(UV):
	python3 -m venv .tools/uv-venv
	.tools/uv-venv/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --extra dev --quiet
	@touch $@

.tools/bin/ferretdb: scripts/install-ferretdb.sh
	scripts/install-ferretdb.sh

.tools/bin/helm: scripts/install-helm.sh ## Helm, for the chart checks in tests/deploy
	scripts/install-helm.sh

run: setup ## Redis, FerretDB (data in ./data), the API on $PORT (8000) and a worker; Ctrl-C stops all
	$(PY) -m devstack

test: setup ## The whole suite against real Redis and FerretDB started for the run
	$(PY) -m ruff check .
	$(PY) -m pytest

bench: setup ## Benchmarks against raw scikit-learn and MLflow: bench/RESULTS.md, bench/results/
	$(PY) -m bench

lint: .venv/.synced
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean-data: ## Remove the local stack's data (models, jobs, datasets)
	rm -rf data
