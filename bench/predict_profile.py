"""Where a predict request's time goes: TensorFleet's predict against the bare endpoint.

    python -m bench.predict_profile [--model NAME] [--requests 600] [--profile 30] [--load 4]

Figures a shared machine barely moves, where requests per second move with every other process:
- in process (the default): both apps behind httpx's ASGI transport in this process
  (TensorFleet with its lifespan, on a Redis and FerretDB started for the run), one request
  after another; CPU ms per request (`time.process_time`, every thread), and with `--profile N`
  the N costliest calls of TensorFleet's run by cumulative time (cProfile);
- `--load SECONDS`: the API process and the bare server under bench/loadgen.py (8 clients); per
  request, each server's CPU ms and its voluntary context switches (a thread waiting for the GIL
  or for I/O), with its requests per second.
The models: Iris' logistic regression and 100-tree forest (bench/inference.py) and the same two
fitted here as pipelines on the customers table (bench/inference_table.py's models, published
with their input schema and drift reference, so rows are checked and sampled).
bench/RESULTS.md, "Profile of the predict path", has the figures.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import psutil
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient

from app.config import Settings
from app.main import create_app
from app.registry.publish import publish_model
from app.training.fitting import FitSpec, fit_and_evaluate
from bench import loadgen
from bench.bare_server import make_app
from bench.inference import bare_server, fitted, iris_rows, serving
from bench.inference_table import request_rows
from bench.rows import Rows
from bench.stack import Stack, tree_cpu_seconds
from tests.tables import customers

TABLE = {"age": "numeric", "plan": "categorical", "city": "categorical", "member": "boolean"}
TABLE |= {"spend": "numeric"}
TABLE_MODELS = {
    "table_logistic_regression": ("logistic_regression", {}),
    "table_random_forest_100": ("random_forest", {"n_estimators": 100, "random_state": 0}),
}


def table_model(algorithm: str, hyperparameters: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """The pipeline a worker fits on the uploaded customers table, and its record's fields."""
    table = customers(2000)
    X = table[list(TABLE)].copy()
    for name in ("plan", "city", "member"):
        X[name] = X[name].astype(object).where(X[name].notna(), np.nan)
    columns = [{"name": name, "type": kind} for name, kind in TABLE.items()]
    spec = FitSpec(algorithm, hyperparameters, 0.2, 0, columns=columns)
    fit = fit_and_evaluate(spec, X, table["churned"].to_numpy())
    fields = {"input_schema": fit.input_schema, "classes": fit.classes, "drift_reference": True}
    return fit.payload, fields | {"task": "classification", "features": list(TABLE)}


def model(name: str, work: Path) -> tuple[bytes, dict[str, Any], Rows]:
    if name in TABLE_MODELS:
        payload, fields = table_model(*TABLE_MODELS[name])
        return payload, fields, request_rows(list(TABLE), 2000)
    return fitted(work)[name][1], {"features": iris_rows().columns}, iris_rows()


async def publish(stack: Stack, name: str, payload: bytes, fields: dict[str, Any]) -> str:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url)
    try:
        db = client[stack.database]
        metadata = {"name": f"profile-{name}", "algorithm": name, "hyperparameters": {}}
        metadata |= {"metrics": {}, "dataset_name": name, "job_id": f"profile-{time.time_ns()}"}
        metadata |= {"library_versions": {}} | fields
        document = await publish_model(
            db, AsyncGridFSBucket(db), payload=payload, metadata=metadata
        )
        return str(document["_id"])
    finally:
        await client.close()


async def cpu_per_request(
    app: FastAPI, path: str, body: bytes, requests: int, profile: cProfile.Profile | None
) -> float:
    """CPU ms per request, sequential, after a warm-up (the model loaded and timed)."""
    headers = {"content-type": "application/json"}
    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for _ in range(5):
                (await http.post(path, content=body, headers=headers)).raise_for_status()
            started = time.process_time()
            if profile is not None:
                profile.enable()
            for _ in range(requests):
                await http.post(path, content=body, headers=headers)
            if profile is not None:
                profile.disable()
            return (time.process_time() - started) / requests * 1000


def under_load(url: str, body: bytes, pid: int, seconds: float) -> dict[str, Any]:
    """Requests per second, and the server's CPU ms and voluntary switches per request."""
    loadgen.load(url, body, concurrency=8, seconds=0.5)  # warm
    process, cpu = psutil.Process(pid), tree_cpu_seconds(pid)
    switches = process.num_ctx_switches().voluntary
    figures = loadgen.load(url, body, concurrency=8, seconds=seconds)
    n = figures["n"]
    figures["cpu_ms_per_request"] = round((tree_cpu_seconds(pid) - cpu) / n * 1000, 3)
    figures["switches_per_request"] = round(
        (process.num_ctx_switches().voluntary - switches) / n, 1
    )
    return figures


def run(args: argparse.Namespace, work: Path) -> None:
    payload, fields, rows = model(args.model, work)
    path, body = work / f"{args.model}.joblib", rows.body(args.rows)
    path.write_bytes(payload)
    with Stack(work / "stack") as stack:
        model_id = asyncio.run(publish(stack, args.model, payload, fields))
        predict = f"/api/v1/models/{model_id}/predict"
        if args.load:
            loaded(stack, predict, {args.model: path}, body, args.load)
            return
        os.environ.update(stack.env())
        profile = cProfile.Profile() if args.profile else None
        bare_app, bare_path = make_app({args.model: joblib.load(path)}), f"/predict/{args.model}"
        bare = asyncio.run(cpu_per_request(bare_app, bare_path, body, args.requests, None))
        app = create_app(Settings())
        tf = asyncio.run(cpu_per_request(app, predict, body, args.requests, profile))
    profiled = " (under cProfile)" if profile is not None else ""
    print(f"{args.model}, {args.rows} row(s), CPU ms per request: bare {bare:.3f}, ", end="")
    print(f"tensorfleet {tf:.3f}{profiled}")
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


def loaded(stack: Stack, path: str, paths: dict[str, Path], body: bytes, seconds: float) -> None:
    """The API process and the bare server, one after the other, under the same load."""
    pid = stack.start_api()
    print("tensorfleet", under_load(f"{stack.base_url}{path}", body, pid, seconds))
    argv, bare_url = bare_server(paths, stack.work_dir)
    with serving(argv, f"{bare_url}/health", stack.work_dir / "logs" / "bare.log") as bare:
        name = next(iter(paths))
        print("bare", under_load(f"{bare_url}/predict/{name}", body, bare.pid, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    choices = ["logistic_regression", "random_forest_100", *TABLE_MODELS]
    parser.add_argument("--model", choices=choices, default="table_logistic_regression")
    parser.add_argument("--rows", type=int, default=1, help="rows per request")
    parser.add_argument("--requests", type=int, default=600, help="in process, per app")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest calls")
    parser.add_argument("--load", type=float, default=0, help="seconds of load per server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tf-predict-profile-") as work:
        run(args, Path(work))


if __name__ == "__main__":
    main()
