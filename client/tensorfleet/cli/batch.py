"""Batch predictions on the command line.

`tensorfleet predict MODEL --dataset NAME[:VERSION] [--out preds.csv] [--wait]` starts one (the
server predicts every row of an uploaded dataset version), and `tensorfleet batch ...` shows,
lists, waits for, downloads, cancels and deletes them. Exit codes as for training jobs: 3 when
the job failed or was cancelled, 4 when the wait gave up.
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tensorfleet.cli import output
from tensorfleet.cli.output import stderr
from tensorfleet.cli.state import (
    EXIT_JOB_FAILED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    JsonFlag,
    client_for,
    fail,
)
from tensorfleet.client import JobWaitTimeout, TensorFleetClient
from tensorfleet.schemas.batch import BatchPredictionRead, OutputFormat

batch_app = typer.Typer(help="Batch predictions: a model over a whole dataset version.")
Timeout = Annotated[float, typer.Option(help="Seconds to wait before giving up (exit 4).")]


def parse_dataset(text: str) -> tuple[str, int | None]:
    """`NAME` or `NAME:VERSION`."""
    name, _, version = text.partition(":")
    if not version:
        return name, None
    if not version.isdigit() or int(version) < 1:
        fail(f"--dataset {text!r}: the version after ':' must be a number from 1", EXIT_USAGE)
    return name, int(version)


def output_format(out: Path | None, fmt: OutputFormat | None) -> OutputFormat:
    """--format, else what --out's suffix says, else CSV."""
    if fmt is not None:
        return fmt
    return "parquet" if out is not None and out.suffix.lower() == ".parquet" else "csv"


def label(job: BatchPredictionRead) -> str:
    total = job.progress.rows_total
    return f"{job.job_id}: {job.status.value}, {job.progress.rows_done}/{total} rows"


def wait(client: TensorFleetClient, job_id: str, timeout: float) -> BatchPredictionRead:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=stderr()) as progress:
            task = progress.add_task(job_id, total=1.0)

            def update(job: BatchPredictionRead) -> None:
                progress.update(task, description=label(job), completed=job.progress.fraction)

            return client.wait_for_batch_prediction(job_id, timeout=timeout, on_update=update)
    except JobWaitTimeout as exc:
        message = f"{exc.message} after {timeout:g}s; see `tensorfleet batch show {job_id}`"
        fail(message, EXIT_TIMEOUT)


def finish(client: TensorFleetClient, job: BatchPredictionRead, out: Path | None) -> None:
    """Download a succeeded job's file to `out`; exit 3 for a job that did not succeed."""
    if job.status.value != "succeeded":
        reason = f": {job.error.message}" if job.error else ""
        fail(f"batch prediction {job.job_id} {job.status.value}{reason}", EXIT_JOB_FAILED)
    if out is None:
        typer.echo(f"{job.job_id} succeeded; download it from {job.download}", err=True)
        return
    saved = client.download_batch_prediction(job.job_id, out)
    rows = job.result.rows if job.result else 0
    where = saved.path or out
    typer.echo(f"{rows} predictions by {job.model.name} v{job.model.version} in {where}", err=True)


def start(
    client: TensorFleetClient,
    job: BatchPredictionRead,
    out: Path | None,
    wait_seconds: float | None,
) -> None:
    """Follow a submitted job to its end and download its file (with a wait), or say where
    to follow it."""
    if wait_seconds is None:
        typer.echo(job.job_id)
        typer.echo(f"queued; follow it with `tensorfleet batch wait {job.job_id}`", err=True)
        return
    finish(client, wait(client, job.job_id, wait_seconds), out)


@batch_app.command("show")
def show(ctx: typer.Context, job_id: str, as_json: JsonFlag = False) -> None:
    """One batch prediction: status, progress, result or error."""
    with client_for(ctx) as client:
        job = client.get_batch_prediction(job_id)
    if as_json:
        return output.emit_json(job)
    pairs = [
        ("job id", job.job_id),
        ("status", job.status.value),
        ("model", f"{job.model.name} v{job.model.version} ({job.model.id})"),
        ("dataset", f"{job.request.dataset_name} v{job.request.dataset_version}"),
        ("rows", f"{job.progress.rows_done} of {job.progress.rows_total}"),
        ("format", job.request.format),
        ("error", job.error.message if job.error else None),
        ("download", job.download),
    ]
    output.show(output.fields("Batch prediction", pairs))


@batch_app.command("list")
def list_for_model(ctx: typer.Context, model_id: str, as_json: JsonFlag = False) -> None:
    """A model's batch predictions, newest first."""
    with client_for(ctx) as client:
        found = client.list_batch_predictions(model_id, limit=100)
    if as_json:
        return output.emit_json(found)
    rows = [
        (j.job_id, j.status.value, j.request.dataset_name, j.progress.rows_done, j.created_at)
        for j in found.items
    ]
    columns = ("job id", "status", "dataset", "rows", "created")
    output.show(output.table(f"Batch predictions ({found.total})", columns, rows))


@batch_app.command("wait")
def wait_command(
    ctx: typer.Context,
    job_id: str,
    out: Annotated[Path | None, typer.Option(help="Download the predictions here.")] = None,
    timeout: Timeout = 3600.0,
) -> None:
    """Wait for a batch prediction to end (exit 3 if it failed), then download it to --out."""
    with client_for(ctx) as client:
        finish(client, wait(client, job_id, timeout), out)


@batch_app.command("download")
def download(
    ctx: typer.Context,
    job_id: str,
    out: Annotated[Path, typer.Option(help="A file, or a directory (the server's file name).")],
) -> None:
    """Download a succeeded batch prediction's file (its sha256 checked)."""
    with client_for(ctx) as client:
        saved = client.download_batch_prediction(job_id, out)
    typer.echo(f"{saved.size} bytes in {saved.path}", err=True)


@batch_app.command("cancel")
def cancel(ctx: typer.Context, job_id: str) -> None:
    """Cancel a queued or running batch prediction (exit 1 when it has already ended)."""
    with client_for(ctx) as client:
        job = client.cancel_batch_prediction(job_id)
    output.show(f"batch prediction {job.job_id} {job.status.value}")


@batch_app.command("delete")
def delete(ctx: typer.Context, job_id: str) -> None:
    """Delete an ended batch prediction and its file (admin scope)."""
    with client_for(ctx) as client:
        client.delete_batch_prediction(job_id)
    output.show(f"batch prediction {job_id} deleted")
