#!/usr/bin/env bash
# The seed's demo against a running TensorFleet (`make run` in another terminal first):
# datasets, algorithms, every classifier x Iris and Wine, accuracy table, best model downloaded and
# checked, statistics, one model deleted. TENSORFLEET_URL (or PORT) says where the server is.
set -euo pipefail
cd "$(dirname "$0")/.."
export TENSORFLEET_URL="${TENSORFLEET_URL:-http://localhost:${PORT:-8000}}"
exec .venv/bin/tensorfleet demo "$@"
