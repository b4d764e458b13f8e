# The two commands a newcomer needs: `make run` and `make test`. Both do all set-up first.
SHELL := /bin/bash
UV_VERSION := 0.13.8
UV := .tools/uv-venv/bin/uv
PY := .venv/bin/python

.PHONY: setup setup-stack kube-checks run test lint bench bench-ui bench-drift screenshots demo clean-data

setup-stack: .venv/.synced .tools/bin/ferretdb ## What `make run` needs: the venv, FerretDB, Redis
	@scripts/ensure-redis.sh

setup: setup-stack .tools/bin/helm kube-checks ## Everything: Helm, Chromium, the chart and compose checks' tools
	@scripts/ensure-chromium.sh

$(UV):
	python3 -m venv .tools/uv-venv
	.tools/uv-venv/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml client/pyproject.toml uv.lock
	$(UV) sync --frozen --extra dev --quiet
	@touch $@

.tools/bin/ferretdb: scripts/install-ferretdb.sh $(wildcard scripts/ferretdb-patches/*.patch)
	scripts/install-ferretdb.sh

.tools/bin/helm: scripts/install-helm.sh ## Helm, for the chart checks in tests/deploy
	scripts/install-helm.sh

kube-checks: ## kubeconform, its Kubernetes/KEDA/Prometheus-operator schemas, docker-compose (tests/deploy)
	scripts/install-kube-checks.sh

run: setup-stack ## Redis, FerretDB (data in ./data), the API on $PORT (8000) and 8083, a worker; Ctrl-C stops all
	$(PY) -m devstack

test: setup ## Lint, format check, types, then the whole suite (real Redis and FerretDB) with coverage
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest --cov

bench: setup-stack ## Benchmarks against raw scikit-learn and MLflow: bench/RESULTS.md, bench/results/
	$(PY) -m bench

bench-ui: setup-stack ## The UI's models page at 1,000 models against the JSON listing
	$(PY) -m bench.ui

bench-drift: setup-stack ## Drift report on 100,000 x 20 against Evidently (own venv); predict with sampling on/off
	$(PY) -m bench.drift

screenshots: setup ## Regenerate docs/ui/*.png from a throwaway stack
	$(PY) -m tests.ui.screenshots

lint: .venv/.synced ## The static half of `make test`: ruff, format check, mypy
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

demo: .venv/.synced ## The seed's demo against `make run`'s service (TENSORFLEET_URL or PORT)
	scripts/demo.sh

clean-data: ## Remove the local stack's data (models, jobs, datasets)
	rm -rf data
