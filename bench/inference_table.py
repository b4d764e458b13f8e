"""Inference on an uploaded table with categories: the logistic regression and the 100-tree
forest, trained by TensorFleet itself (upload, ingest, POST /train on a worker), so each is the
pipeline (imputation, one-hot encoding, scaling, estimator) the service serves.

The table is the tests' customers table (numbers, text categories, a boolean, an id column the
ingest excludes); the request rows are its rows without gaps, by column name, as every server
takes them (`dataframe_split`). The floor is the pipeline's own `predict` on the same rows as
a DataFrame, the bare endpoint builds a DataFrame from the body, MLflow reads it as one.
"""

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import joblib

from bench.rows import Rows
from bench.stack import Stack, StackError
from tests.tables import customers

NAME = "bench-customers"
CASES = {
    "table_logistic_regression": ("logistic_regression", {}),
    "table_random_forest_100": ("random_forest", {"n_estimators": 100, "random_state": 0}),
}
WAIT_SECONDS = 600


@dataclass
class Trained:
    rows: Rows
    models: dict[str, tuple[Any, str, int]] = field(default_factory=dict)  # model, id, bytes
    paths: dict[str, Path] = field(default_factory=dict)


def wait_for(http: httpx.Client, path: str, done: Callable[[dict], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = http.get(path).raise_for_status().json()
        if done(found):
            return found
        time.sleep(0.2)
    raise StackError(f"{path} did not finish within {WAIT_SECONDS}s")


def upload(http: httpx.Client, rows: int) -> dict[str, Any]:
    payload = customers(rows).to_csv(index=False).encode()
    response = http.post("/datasets", params={"name": NAME, "target": "churned"}, content=payload)
    version = response.raise_for_status().json()["version"]
    path = f"/datasets/{NAME}/versions/{version}"
    found = wait_for(http, path, lambda v: v["status"] != "ingesting")
    if found["status"] != "ready":
        raise StackError(f"the bench table failed to ingest: {found.get('error')}")
    return found


def train(http: httpx.Client, algorithm: str, hyperparameters: dict) -> str:
    body = {
        "dataset_name": NAME,
        "algorithm": algorithm,
        "model_name": f"{NAME}-{algorithm}",
        "hyperparameters": hyperparameters,
        "importances": False,
    }
    job_id = http.post("/train", json=body).raise_for_status().json()["job_id"]
    job = wait_for(http, f"/jobs/{job_id}", lambda j: j["status"] not in ("queued", "running"))
    if job["status"] != "succeeded":
        raise StackError(f"training {algorithm} on the bench table {job['status']}: {job['error']}")
    return str(job["model_id"])


def request_rows(columns: list[str], rows: int) -> Rows:
    """The table's rows without gaps, as JSON values and as the DataFrame the floor predicts."""
    table = customers(rows).dropna(subset=columns).reset_index(drop=True)[columns]
    plain = [[v.item() if hasattr(v, "item") else v for v in row] for row in table.itertuples()]
    return Rows(columns, [row[1:] for row in plain], table)


def trained(stack: Stack, config: dict, work: Path) -> Trained:
    """Upload the table, train both models on a worker, download them."""
    stack.start_workers(1)
    try:
        with httpx.Client(base_url=stack.base_url, timeout=60) as http:
            version = upload(http, config["inference_table_rows"])
            out = Trained(request_rows(version["features"], config["inference_table_rows"]))
            for name, (algorithm, hyperparameters) in CASES.items():
                model_id = train(http, algorithm, hyperparameters)
                payload = http.get(f"/api/v1/models/{model_id}/download").raise_for_status().content
                out.paths[name] = work / f"{name}.joblib"
                out.paths[name].write_bytes(payload)
                out.models[name] = (joblib.load(io.BytesIO(payload)), model_id, len(payload))
            return out
    finally:
        stack.stop_workers()


def run_cases(
    table: Trained, stack: Stack, config: dict, bare_url: str, compare: Callable[..., dict]
) -> dict[str, Any]:
    results = {}
    for name, (model, model_id, size) in table.models.items():
        url = f"{stack.base_url}/api/v1/models/{model_id}/predict"
        results[name] = compare(name, model, (url, bare_url), table.rows, config)
        results[name]["model_bytes"] = size
    return results
