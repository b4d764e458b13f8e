"""`tensorfleet demo`: the seed's demo script against a running server, step by step.

Lists datasets and algorithms, trains every algorithm on each dataset, waits for all, compares
their accuracies, downloads the best model and checks that it loads and predicts, shows the
statistics and deletes one model.
"""

import importlib.util
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from tensorfleet.cli import output
from tensorfleet.cli.datasets import list_datasets
from tensorfleet.cli.registry import statistics_tables
from tensorfleet.cli.state import EXIT_ERROR, EXIT_JOB_FAILED, client_for, fail
from tensorfleet.cli.training import algorithms
from tensorfleet.client import NotFound, TensorFleetClient
from tensorfleet.schemas.registry import ModelRead
from tensorfleet.schemas.training import JobRead, JobStatus

SAMPLES = {"iris": "load_iris", "wine": "load_wine"}  # scikit-learn's bundled copies
LOCAL_CHECK_NEEDS = ("sklearn", "joblib", "numpy")  # the client's `demo` extra


def require_local_check() -> None:
    """Say what is missing before training anything, not after eight jobs have run."""
    if missing := [name for name in LOCAL_CHECK_NEEDS if importlib.util.find_spec(name) is None]:
        fail(
            f"the demo loads the model it downloads and needs {', '.join(missing)}: "
            "install the client with its demo extra (pip install 'tensorfleet[demo]')"
        )


def step(title: str) -> None:
    output.stdout().rule(f"[bold]{title}")


def submit_all(client: TensorFleetClient, dataset_names: list[str]) -> list[str]:
    # The samples are classification datasets: every algorithm that classifies.
    names = [a.name for a in client.list_algorithms() if "classification" in a.tasks]
    jobs = [
        client.train(dataset_name=d, algorithm=a, model_name=f"demo-{d}-{a}")
        for d in dataset_names
        for a in names
    ]
    output.show(f"submitted {len(jobs)} jobs: {', '.join(j.job_id for j in jobs)}")
    return [job.job_id for job in jobs]


def wait_all(client: TensorFleetClient, job_ids: list[str], timeout: float) -> list[JobRead]:
    with output.stderr().status("waiting for the jobs") as status:
        finished = []
        for number, job_id in enumerate(job_ids, start=1):
            finished.append(client.wait_for_job(job_id, timeout=timeout))
            status.update(f"waiting for the jobs: {number} of {len(job_ids)} ended")
    return finished


def comparison(jobs: list[JobRead]) -> object:
    columns = ("dataset", "algorithm", "model", "version", "status", "train acc", "test acc")
    rows = sorted((job_row(job) for job in jobs), key=lambda r: (r[0], -(r[6] or -1.0)))
    trained = sum(job.status == JobStatus.succeeded for job in jobs)
    return output.table(f"Trained models ({trained} of {len(jobs)})", columns, rows)


def job_row(job: JobRead) -> tuple:
    metrics, request = job.metrics, job.request
    return (
        request.dataset_name,
        request.algorithm,
        request.model_name,
        job.model_version,
        job.status.value,
        metrics.train_accuracy if metrics else None,
        metrics.test_accuracy if metrics else None,
    )


def best_and_worst(client: TensorFleetClient, jobs: list[JobRead]) -> tuple[ModelRead, ModelRead]:
    done = [job for job in jobs if job.status == JobStatus.succeeded and job.model_id]
    if not done:
        fail("no job succeeded", EXIT_JOB_FAILED)
    ranked = sorted(
        done, key=lambda job: (job.metrics.test_accuracy or 0.0) if job.metrics else 0.0
    )
    return client.get_model(ranked[-1].model_id or ""), client.get_model(ranked[0].model_id or "")


def check_prediction(path: Path, model: ModelRead) -> float:
    """Load the downloaded file and predict the whole dataset; its accuracy on it."""
    import joblib  # scikit-learn and joblib load in seconds: only the demo needs them
    import numpy as np
    import pandas as pd
    from sklearn import datasets as samples

    estimator = joblib.load(path)
    data = getattr(samples, SAMPLES[model.dataset_name])()
    rows = pd.DataFrame(data.data, columns=model.features)  # a pipeline takes named columns
    predictions = estimator.predict(rows)  # class names, as in model.classes
    return float(np.mean(predictions == data.target_names[data.target]))


def download_best(client: TensorFleetClient, best: ModelRead, directory: Path) -> None:
    saved = client.download_model(best.id, directory)
    assert saved.path is not None
    output.show(
        f"best: {best.name} v{best.version} ({best.algorithm} on {best.dataset_name}, "
        f"test accuracy {best.metrics.test_accuracy:.4f}); saved {saved.path} "
        f"({output.size(saved.size)}, sha256 checked)"
    )
    accuracy = check_prediction(saved.path, best)
    if accuracy < 0.5:
        fail(f"the downloaded model predicts badly: accuracy {accuracy:.3f}", EXIT_ERROR)
    output.show(f"loaded with joblib; predicts {best.dataset_name} with accuracy {accuracy:.4f}")


def delete_one(client: TensorFleetClient, model: ModelRead) -> None:
    client.delete_model(model.id)
    try:
        client.get_model(model.id)
    except NotFound:
        output.show(f"deleted {model.name} v{model.version} ({model.id}); it is gone (404)")
        return
    fail(f"model {model.id} is still there after delete")


def demo(
    ctx: typer.Context,
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="iris, wine (default both).")
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output", "-o", help="Keep the downloaded model here.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each job.")] = 600.0,
) -> None:
    """Run the seed's demo: train every classifier on Iris and Wine, compare, download, delete."""
    names = dataset or list(SAMPLES)
    if unknown := sorted(set(names) - set(SAMPLES)):
        raise typer.BadParameter(f"no sample copy of {unknown}", param_hint="'--dataset'")
    require_local_check()
    step("Datasets")
    list_datasets(ctx)
    step("Algorithms")
    algorithms(ctx)
    with client_for(ctx) as client:
        train_and_inspect(client, names, output_dir, timeout)


def train_and_inspect(
    client: TensorFleetClient, names: list[str], output_dir: Path | None, timeout: float
) -> None:
    step("Training")
    jobs = wait_all(client, submit_all(client, names), timeout)
    output.show(comparison(jobs))
    best, worst = best_and_worst(client, jobs)
    step("Best model")
    with tempfile.TemporaryDirectory() as scratch:
        download_best(client, best, output_dir or Path(scratch))
    step("Statistics")
    for renderable in statistics_tables(client.statistics()):
        output.show(renderable)
    step("Delete")
    delete_one(client, worst)
    if any(job.status != JobStatus.succeeded for job in jobs):
        fail("some jobs did not succeed (see the table)", EXIT_JOB_FAILED)
    output.show(f"demo complete: {len(jobs)} models trained")
