"""MLflow's side of the benchmarks; run by bench/.venv-mlflow's python, never imported by ours.

    python mlflow_runner.py '<json request>'   prints one JSON object on its last stdout line.

Requests: {"mode": "info"}; {"mode": "train", "cases": {...}, "tuned": bool, "reps": n,
"warmup": n, "work_dir": path}; {"mode": "registry", "versions": n, "reps": n, "work_dir": path};
{"mode": "save", "model": joblib path, "path": model directory to write}.
Each uses a SQLite tracking and registry store with local artifacts under work_dir.
"""

import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

TREE_TYPES = ["sklearn.tree._tree.Tree"]
TEST_SIZE, RANDOM_STATE = 0.2, 42


def estimator(algorithm: str, hyperparameters: dict[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    classes = {
        "random_forest": RandomForestClassifier,
        "logistic_regression": LogisticRegression,
        "svm": SVC,
        "decision_tree": DecisionTreeClassifier,
    }
    params = dict(hyperparameters)
    cls = classes[algorithm]
    if "random_state" in cls().get_params():
        params.setdefault("random_state", RANDOM_STATE)
    return cls(**params)


def setup(work_dir: Path, experiment: str) -> Any:
    import mlflow

    work_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(f"sqlite:///{work_dir / 'mlflow.db'}")
    if mlflow.get_experiment_by_name(experiment) is None:
        mlflow.create_experiment(experiment, artifact_location=(work_dir / "artifacts").as_uri())
    mlflow.set_experiment(experiment)
    return mlflow


def train_once(mlflow: Any, case: dict, data: list[Any], name: str, tuned: bool) -> float:
    import sklearn
    from sklearn.metrics import accuracy_score

    X_train, X_test, y_train, y_test = data
    options: dict[str, Any] = {"name": "model", "registered_model_name": name}
    if case["algorithm"] in ("random_forest", "decision_tree"):
        options["skops_trusted_types"] = TREE_TYPES
    if tuned:
        options["pip_requirements"] = [f"scikit-learn=={sklearn.__version__}"]
    started = time.perf_counter()
    with mlflow.start_run():
        model = estimator(case["algorithm"], case.get("hyperparameters", {}))
        model.fit(X_train, y_train)
        mlflow.log_metric("test_accuracy", accuracy_score(y_test, model.predict(X_test)))
        mlflow.sklearn.log_model(model, **options)
    return time.perf_counter() - started


def train(request: dict) -> dict:
    from sklearn.datasets import load_iris, load_wine
    from sklearn.model_selection import train_test_split

    loaders = {"iris": load_iris, "wine": load_wine}
    variant = "tuned" if request["tuned"] else "defaults"
    mlflow = setup(Path(request["work_dir"]), f"bench-{variant}")
    results = {}
    for name, case in request["cases"].items():
        bunch = loaders[case["dataset"]]()
        data = train_test_split(
            bunch.data,
            bunch.target,
            test_size=TEST_SIZE,
            random_state=RANDOM_STATE,
            stratify=bunch.target,
        )
        samples = [
            train_once(mlflow, case, data, f"bench-{variant}-{name}", request["tuned"])
            for _ in range(request["warmup"] + request["reps"])
        ]
        results[name] = samples[request["warmup"] :]
    return results


def seed_versions(mlflow: Any, work_dir: Path, versions: int, names: int) -> None:
    """Registered models and their versions, bulk-inserted into MLflow's own tables (the
    registry analogue of seeding our `models` metadata directly)."""
    from mlflow.store.model_registry.dbmodels.models import SqlModelVersion, SqlRegisteredModel
    from mlflow.tracking._model_registry.utils import _get_store

    store = _get_store()
    now = int(time.time() * 1000)
    with store.ManagedSessionMaker() as session:
        session.add_all(
            SqlRegisteredModel(name=f"m-{n}", creation_time=now, last_updated_time=now)
            for n in range(names)
        )
        session.flush()
        session.add_all(
            SqlModelVersion(
                name=f"m-{i % names}",
                version=i // names + 1,
                creation_time=now + i,
                last_updated_time=now + i,
                source=(work_dir / "artifacts" / f"m{i}").as_uri(),
                run_id=None,
                status="READY",
            )
            for i in range(versions)
        )


def timed(call: Callable[[], object], reps: int) -> list[float]:
    call()
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def registry(request: dict) -> dict:
    from mlflow import MlflowClient
    from mlflow.utils.search_utils import SearchUtils

    work_dir, versions = Path(request["work_dir"]), request["versions"]
    mlflow = setup(work_dir, "bench-registry")
    names = max(1, versions // 100)
    started = time.perf_counter()
    seed_versions(mlflow, work_dir, versions, names)
    seed_seconds = time.perf_counter() - started
    client, reps = MlflowClient(), request["reps"]
    deep = SearchUtils.create_page_token(int(versions * 0.9))
    reads = {
        "page1": lambda: client.search_model_versions(max_results=10),
        "deep_page_token": lambda: client.search_model_versions(max_results=10, page_token=deep),
        "filtered": lambda: client.search_model_versions("name='m-7'", max_results=10),
        "get": lambda: client.get_model_version("m-3", "1"),
    }
    return {
        "versions": versions,
        "seed_seconds": seed_seconds,
        "reads": {name: timed(call, reps) for name, call in reads.items()},
    }


def info(_: dict) -> dict:
    import mlflow
    import sklearn

    return {"mlflow": mlflow.__version__, "scikit-learn": sklearn.__version__}


def save(request: dict) -> dict:
    """Save a joblib scikit-learn model as an MLflow model directory (for `models serve`)."""
    import joblib
    import mlflow.sklearn

    model = joblib.load(request["model"])
    if hasattr(model, "named_steps"):  # a pipeline: skops refuses some of its parts' types
        mlflow.sklearn.save_model(model, request["path"], serialization_format="cloudpickle")
    else:
        mlflow.sklearn.save_model(model, request["path"], skops_trusted_types=TREE_TYPES)
    return {"path": request["path"]}


def main() -> None:
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    request = json.loads(sys.argv[1])
    handlers = {"info": info, "train": train, "registry": registry, "save": save}
    handler = handlers[request["mode"]]
    result = handler(request)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
