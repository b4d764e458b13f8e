"""Figure 1: train and register, end to end, for three cases.

- floor: in-process fit plus `joblib.dump` to a local file (the same split and estimator the
  worker builds);
- TensorFleet: `POST /train` until the job reads `succeeded`, polling every 10 ms, one warm worker;
- MLflow (defaults and tuned), run by bench/mlflow_runner.py in MLflow's own venv.

Then figure 1b (bench/waiting.py): the same wait through the client's long poll and its polling.
"""

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import joblib
import pandas as pd
from sklearn.datasets import load_iris, load_wine

from app.training.fitting import FitSpec, make_pipeline, split
from bench import mlflow_bridge, waiting
from bench.stats import difference, ratio, summarize

POLL_SECONDS = 0.010
JOB_TIMEOUT_SECONDS = 120.0
TEST_SIZE, RANDOM_STATE = 0.2, 42

CASES: dict[str, dict[str, Any]] = {
    "iris_logistic_regression": {"dataset": "iris", "algorithm": "logistic_regression"},
    "iris_random_forest_100": {
        "dataset": "iris",
        "algorithm": "random_forest",
        "hyperparameters": {"n_estimators": 100},
    },
    "wine_svm": {"dataset": "wine", "algorithm": "svm"},
}
LOADERS = {"iris": load_iris, "wine": load_wine}


class JobFailed(RuntimeError):
    pass


def floor_once(case: dict[str, Any], data: tuple, path: Path) -> float:
    spec = FitSpec(case["algorithm"], case.get("hyperparameters", {}), TEST_SIZE, RANDOM_STATE)
    X_train, _, y_train, _ = data
    started = time.perf_counter()
    model = make_pipeline(spec, X_train)  # the worker's pipeline: preprocessing and estimator
    model.fit(X_train, y_train)
    joblib.dump(model, path)
    return time.perf_counter() - started


def floor_data(case: dict[str, Any]) -> tuple[Any, ...]:
    """The train/test split the worker makes for this case."""
    bunch = LOADERS[case["dataset"]]()
    spec = FitSpec(case["algorithm"], {}, TEST_SIZE, RANDOM_STATE)
    features = pd.DataFrame(bunch.data, columns=[f"f{i}" for i in range(bunch.data.shape[1])])
    return tuple(split(spec, features, bunch.target))


def measure_floor(case: dict[str, Any], reps: int, warmup: int, work_dir: Path) -> list[float]:
    data = floor_data(case)
    path = work_dir / f"floor-{uuid.uuid4().hex[:8]}.joblib"
    samples = [floor_once(case, data, path) for _ in range(warmup + reps)]
    path.unlink(missing_ok=True)
    return samples[warmup:]


def train_body(case: dict[str, Any], model_name: str) -> dict[str, Any]:
    return {
        "dataset_name": case["dataset"],
        "algorithm": case["algorithm"],
        "model_name": model_name,
        "hyperparameters": case.get("hyperparameters", {}),
        "test_size": TEST_SIZE,
        "random_state": RANDOM_STATE,
    }


def wait_for_job(client: httpx.Client, job_id: str, poll: float = POLL_SECONDS) -> dict:
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] == "succeeded":
            return job
        if job["status"] in ("failed", "cancelled"):
            raise JobFailed(f"job {job_id} {job['status']}: {job.get('error')}")
        time.sleep(poll)
    raise JobFailed(f"job {job_id} did not end within {JOB_TIMEOUT_SECONDS}s")


def tensorfleet_once(client: httpx.Client, case: dict[str, Any], model_name: str) -> float:
    started = time.perf_counter()
    response = client.post("/train", json=train_body(case, model_name))
    response.raise_for_status()
    wait_for_job(client, response.json()["job_id"])
    return time.perf_counter() - started


def measure_tensorfleet(
    client: httpx.Client, name: str, case: dict[str, Any], reps: int, warmup: int
) -> list[float]:
    samples = [tensorfleet_once(client, case, f"bench-{name}") for _ in range(warmup + reps)]
    return samples[warmup:]


def case_figures(name: str, floor: list, tensorfleet: list, mlflow: dict) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "floor": summarize(floor),
        "tensorfleet": summarize(tensorfleet),
    }
    tf_median = figures["tensorfleet"]["median_ms"]
    figures["overhead_ms"] = {
        "median": difference(tf_median, figures["floor"]["median_ms"]),
        "p95": difference(figures["tensorfleet"]["p95_ms"], figures["floor"]["p95_ms"]),
    }
    for variant in ("defaults", "tuned"):
        samples = mlflow.get(variant, {}).get(name)
        figures[f"mlflow_{variant}"] = summarize(samples or [])
        figures[f"tensorfleet_over_mlflow_{variant}"] = ratio(
            tf_median, figures[f"mlflow_{variant}"]["median_ms"]
        )
        figures[f"mlflow_{variant}_overhead_ms"] = difference(
            figures[f"mlflow_{variant}"]["median_ms"], figures["floor"]["median_ms"]
        )
    return figures


def run(
    client: httpx.Client,
    config: dict[str, Any],
    work_dir: Path,
    mlflow_status: dict,
    clear_store: Callable[[], None],
) -> dict[str, Any]:
    """Each case starts from an empty jobs and models store (`clear_store`), so no case pays
    for the jobs of the cases before it (a lookup by `_id` scans on FerretDB v1.24)."""
    floors, fleet = {}, {}
    for name, case in CASES.items():
        clear_store()
        floors[name] = measure_floor(case, config["train_reps"], config["warmup"], work_dir)
        fleet[name] = measure_tensorfleet(
            client, name, case, config["train_reps"], config["warmup"]
        )
    mlflow: dict[str, dict[str, list[float]]] = {}
    if mlflow_status["available"]:
        for variant in ("defaults", "tuned"):
            mlflow[variant] = mlflow_bridge.train(
                cases=CASES,
                tuned=variant == "tuned",
                reps=config[f"mlflow_{variant}_reps"],
                warmup=1,
                work_dir=work_dir / f"mlflow-{variant}",
            )
    clear_store()
    return {
        "poll_seconds": POLL_SECONDS,
        "cases": {name: case_figures(name, floors[name], fleet[name], mlflow) for name in CASES},
        "waiting": waiting.run(str(client.base_url), config),
    }
