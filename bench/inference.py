"""Figure 5: online predictions, TensorFleet against the floor, a bare endpoint and MLflow.

Same model, same body, same load generator (bench/loadgen.py: `concurrency` async clients for
`inference_seconds`), for a one-row and a 100-row request, on a logistic regression and a
100-tree random forest fitted on Iris here:
- floor: the model's own `predict` on the same rows, in this process, one call after another;
- bare: FastAPI + uvicorn holding the model (bench/bare_server.py);
- mlflow: MLflow 3's scoring server (`mlflow models serve --env-manager local`);
- tensorfleet: POST /api/v1/models/{id}/predict on the stack's API.
Every server gets the body `{"dataframe_split": {"columns": [...], "data": [...]}}`. The cold
first request is TensorFleet's first predict of a model just published (read from the store,
sha256 checked, unpickled), and each peer's first request after it started.

The same two targets trained by TensorFleet itself on an uploaded table with categories
(bench/inference_table.py), and the cold first request of a ~1 MB model, with where its time
goes (bench/inference_cold.py).

At a moderate load (one-row requests at a quarter of the bare endpoint's saturated rate, sent
on schedule), TensorFleet and the bare endpoint again: the p99 target's case.

Explanations: the same requests with `"explain": true` (1 and 100 rows), reported as the added
p50 latency per row over the plain request, beside the floor (explaining in this process).
"""

import asyncio
import contextlib
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from sklearn.base import BaseEstimator
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from app.explanations.insights import store_insights
from app.explanations.local import explain_rows, explainer_for
from app.explanations.training import linear_baseline
from app.registry.publish import publish_model
from app.training.fitting import serialise
from bench import inference_cold, inference_table, loadgen, mlflow_bridge
from bench.rows import Rows
from bench.stack import READY_TIMEOUT_SECONDS, Stack, StackError
from devstack.services import PROJECT, free_port, stop_process

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SIZES = (1, 100)
# "Moderate load" for the p99 target: one-row requests at a quarter of the rate the bare
# endpoint sustains at saturation, sent on schedule (bench/loadgen.paced), to both servers.
MODERATE_SHARE = 0.25


def cases() -> dict[str, BaseEstimator]:
    return {
        "logistic_regression": LogisticRegression(max_iter=1000),
        "random_forest_100": RandomForestClassifier(n_estimators=100, random_state=0),
    }


def iris() -> tuple[np.ndarray, np.ndarray]:
    bunch = load_iris()
    return bunch.data, np.asarray(bunch.target_names)[bunch.target]  # labels, as the worker


def iris_rows() -> Rows:
    X, _ = iris()
    return Rows(FEATURES, X.tolist(), X)


def body(X: np.ndarray, rows: int, explain: bool = False) -> bytes:
    data = X[np.arange(rows) % len(X)].tolist()
    extra = {"explain": True} if explain else {}
    return json.dumps({"dataframe_split": {"columns": FEATURES, "data": data}} | extra).encode()


def floor(model: Any, table: Rows, rows: int, seconds: float) -> dict[str, Any]:
    """The model's own predict on the same rows, sequentially, for the same time."""
    batch = table.batch(rows)
    latencies: list[float] = []
    started = time.perf_counter()
    while (now := time.perf_counter()) - started < seconds:
        model.predict(batch)
        latencies.append(time.perf_counter() - now)
    return loadgen.summary(latencies, time.perf_counter() - started)


async def _publish(stack: Stack, name: str, payload: bytes) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    try:
        db = client[stack.database]
        metadata = {
            "name": f"bench-{name}",
            "algorithm": name,
            "hyperparameters": {},
            "metrics": {"train_accuracy": 1.0, "test_accuracy": 1.0},
            "dataset_name": "iris",
            "features": FEATURES,
            "classes": ["setosa", "versicolor", "virginica"],
            "job_id": f"bench-inference-{name}-{time.time_ns()}",
            "library_versions": {},
        }
        document = await publish_model(
            db, AsyncGridFSBucket(db), payload=payload, metadata=metadata
        )
        X, _ = iris()  # what the worker stores beside a model it trained, for `explain`
        baseline = linear_baseline(joblib.load(io.BytesIO(payload)), X)
        await store_insights(db, document["_id"], {"linear_baseline": baseline})
        return document
    finally:
        await client.close()


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{url}: exited with {process.returncode}; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise StackError(f"{url} not healthy within {READY_TIMEOUT_SECONDS}s; see {log}")


@contextlib.contextmanager
def serving(
    argv: list[str], health: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        process = subprocess.Popen(
            argv,
            cwd=PROJECT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy(health, process, log)
        yield process
    finally:
        stop_process(process)


def measure(url: str, table: Rows, config: dict) -> dict[str, Any]:
    figures: dict[str, Any] = {"first_request_ms": loadgen.first_request_ms(url, table.body(1))}
    for rows in SIZES:
        figures[f"rows_{rows}"] = loadgen.load(
            url,
            table.body(rows),
            concurrency=config["inference_concurrency"],
            seconds=config["inference_seconds"],
        )
    return figures


def mlflow_figures(path: Path, table: Rows, config: dict, work: Path) -> dict[str, Any]:
    """MLflow's scoring server on the same model file (saved as an MLflow model first)."""
    model_dir = work / f"mlflow-{path.stem}"
    mlflow_bridge.call({"mode": "save", "model": str(path), "path": str(model_dir)})
    port = free_port()
    argv = mlflow_bridge.serve_command(model_dir, port)
    log, env = work / "logs" / "mlflow.log", mlflow_bridge.serve_env()
    with serving(argv, f"http://127.0.0.1:{port}/ping", log, env):
        return measure(f"http://127.0.0.1:{port}/invocations", table, config)


def fitted(work: Path) -> dict[str, tuple[Any, bytes, Path]]:
    """Each case's model fitted on Iris, its joblib bytes, and the file they were written to."""
    X, y = iris()
    out = {}
    for name, model in cases().items():
        payload = serialise(model.fit(X, y))
        path = work / f"{name}.joblib"
        path.write_bytes(payload)
        out[name] = (model, payload, path)
    return out


def explain_floor(model: Any, X: np.ndarray, rows: int, seconds: float) -> dict[str, Any]:
    """The explanation's own cost, in this process: predict, then explain the same rows."""
    baseline = linear_baseline(model, X)
    explainer = explainer_for(model, FEATURES, baseline)
    batch = X[np.arange(rows) % len(X)]
    latencies: list[float] = []
    started = time.perf_counter()
    while (now := time.perf_counter()) - started < seconds:
        explain_rows(explainer, model, batch, [str(p) for p in model.predict(batch)])
        latencies.append(time.perf_counter() - now)
    return loadgen.summary(latencies, time.perf_counter() - started)


def explain_figures(
    url: str, model: Any, plain: dict[str, Any], config: dict[str, Any]
) -> dict[str, Any]:
    """Predict with `explain` against the same predict without it: the added latency per row
    (p50, at the same concurrency), and the floor (explaining in this process)."""
    X, _ = iris()
    seconds, figures = config["inference_seconds"], {}
    for rows in SIZES:
        explained = loadgen.load(
            url, body(X, rows, True), concurrency=config["inference_concurrency"], seconds=seconds
        )
        added = (explained["p50_ms"] - plain[f"rows_{rows}"]["p50_ms"]) / rows
        figures[f"rows_{rows}"] = explained | {"added_ms_per_row": round(added, 4)}
        figures[f"floor_rows_{rows}"] = explain_floor(model, X, rows, seconds)
    return figures


def run_case(
    name: str, model: Any, payload: bytes, stack: Stack, config: dict, bare_url: str
) -> dict[str, Any]:
    document = asyncio.run(_publish(stack, name, payload))
    url = f"{stack.base_url}/api/v1/models/{document['_id']}/predict"
    result = compare(name, model, (url, bare_url), iris_rows(), config)
    result["model_bytes"] = len(payload)
    result["explain"] = explain_figures(url, model, result["tensorfleet"], config)
    return result


def compare(
    name: str, model: Any, urls: tuple[str, str], table: Rows, config: dict
) -> dict[str, Any]:
    """TensorFleet (its first request is the cold load), the floor and the bare endpoint."""
    url, bare_url = urls
    result: dict[str, Any] = {"tensorfleet": measure(url, table, config)}
    seconds = config["inference_seconds"]
    result["floor"] = {f"rows_{rows}": floor(model, table, rows, seconds) for rows in SIZES}
    result["bare"] = measure(f"{bare_url}/predict/{name}", table, config)
    rate = result["bare"]["rows_1"]["rps"] * MODERATE_SHARE
    for server, address in (("tensorfleet", url), ("bare", f"{bare_url}/predict/{name}")):
        result[server]["moderate"] = loadgen.paced(
            address, table.body(1), rate=rate, seconds=config["inference_seconds"]
        )
    return result


def add_mlflow(
    results: dict[str, Any], paths: dict[str, Path], table: Rows, config: dict, work: Path
) -> None:
    for name, path in paths.items():
        try:  # the peer's trouble is reported, and the other figures kept
            results[name]["mlflow"] = mlflow_figures(path, table, config, work)
        except (StackError, mlflow_bridge.MLflowUnavailable) as exc:
            results[name]["mlflow_error"] = str(exc)


def bare_server(paths: dict[str, Path], work: Path) -> tuple[list[str], str]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare_server", str(port)]
    return argv + [f"{name}={path}" for name, path in paths.items()], f"http://127.0.0.1:{port}"


def run(stack: Stack, config: dict, work: Path, mlflow: dict) -> dict[str, Any]:
    models = fitted(work)
    table = inference_table.trained(stack, config, work)
    paths = {name: path for name, (_, _, path) in models.items()} | table.paths
    argv, bare_url = bare_server(paths, work)
    results: dict[str, Any] = {}
    with serving(argv, f"{bare_url}/health", work / "logs" / "bare.log"):
        for name, (model, payload, _) in models.items():
            results[name] = run_case(name, model, payload, stack, config, bare_url)
        table_results = inference_table.run_cases(table, stack, config, bare_url, compare)
    if mlflow.get("available"):
        add_mlflow(results, {n: p for n, (_, _, p) in models.items()}, iris_rows(), config, work)
        add_mlflow(table_results, table.paths, table.rows, config, work)
    return {
        "concurrency": config["inference_concurrency"],
        "seconds": config["inference_seconds"],
        "cases": results,
        "table_cases": table_results,
        "cold_start": inference_cold.run(stack, config, _publish),
    }
