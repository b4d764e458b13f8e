"""`train`, `jobs list|show|wait|cancel`, `algorithms`."""

import json
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from tensorfleet.cli import output
from tensorfleet.cli.progress import wait_quietly, wait_with_progress
from tensorfleet.cli.state import EXIT_JOB_FAILED, EXIT_USAGE, JsonFlag, client_for, fail
from tensorfleet.client.errors import describe_detail
from tensorfleet.schemas.training import AlgorithmName, JobRead, JobStatus, TrainRequest

jobs_app = typer.Typer(help="Training jobs: list, show, wait for, cancel.", no_args_is_help=True)
Timeout = Annotated[float, typer.Option(help="Seconds to wait for the job to end.")]


def parse_hyperparameter(text: str) -> tuple[str, Any]:
    """`name=value`; the value is read as JSON when it is JSON (3, 0.5, true, null, [1, 2])."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise typer.BadParameter(f"{text!r} is not name=value", param_hint="'-p'")
    try:
        return name.strip(), json.loads(raw)
    except ValueError:
        return name.strip(), raw


def build_request(**fields: Any) -> TrainRequest:
    try:
        return TrainRequest(**fields)
    except ValidationError as exc:
        fail(f"invalid training request: {describe_detail(exc.errors())}", EXIT_USAGE)


def report_job(job: JobRead, as_json: bool) -> None:
    """The job's record, then exit 3 when it did not succeed."""
    if as_json:
        output.emit_json(job)
    else:
        output.show(job_fields(job))
    if job.status in (JobStatus.failed, JobStatus.cancelled):
        raise typer.Exit(EXIT_JOB_FAILED)


def train(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="A dataset (`datasets`).")],
    algorithm: Annotated[AlgorithmName, typer.Option("--algorithm", "-a")],
    name: Annotated[str | None, typer.Option("--name", "-n", help="Model name.")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Hyperparameter name=value.")
    ] = None,
    job_id: Annotated[str | None, typer.Option(help="Your id for the job.")] = None,
    test_size: Annotated[float, typer.Option(help="Held-out fraction.")] = 0.2,
    random_state: Annotated[int, typer.Option(help="Seed of the split.")] = 42,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the job to end.")] = False,
    timeout: Timeout = 600.0,
    as_json: JsonFlag = False,
) -> None:
    """Submit a training job (name defaults to DATASET-ALGORITHM); --wait follows it to the end."""
    request = build_request(
        dataset_name=dataset,
        algorithm=algorithm,
        model_name=name or f"{dataset}-{algorithm}",
        hyperparameters=dict(parse_hyperparameter(p) for p in param or []),
        job_id=job_id,
        test_size=test_size,
        random_state=random_state,
    )
    with client_for(ctx) as client:
        submitted = client.train(request)
        if not wait:
            return (
                output.emit_json(submitted)
                if as_json
                else output.show(
                    f"job {submitted.job_id} {submitted.status.value}; "
                    f"follow it with `tensorfleet jobs wait {submitted.job_id}`"
                )
            )
        job = (wait_quietly if as_json else wait_with_progress)(client, submitted.job_id, timeout)
    report_job(job, as_json)


@jobs_app.command("list")
def list_jobs(
    ctx: typer.Context,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this status.")] = None,
    page: Annotated[int, typer.Option(min=1)] = 1,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Jobs, newest first."""
    with client_for(ctx) as client:
        jobs = client.list_jobs(status=status, page=page, limit=limit)
    if as_json:
        return output.emit_json(jobs)
    rows = [job_row(job) for job in jobs.items]
    columns = ("job id", "status", "stage", "model", "version", "created")
    output.show(
        output.table(f"Jobs (page {jobs.page} of {jobs.pages}, {jobs.total} in all)", columns, rows)
    )


def job_row(job: JobRead) -> tuple:
    request = job.request
    return (
        job.job_id,
        job.status.value,
        job.progress.stage,
        request.model_name,
        job.model_version,
        job.created_at,
    )


def job_fields(job: JobRead) -> Any:
    metrics = job.metrics
    error = f"{job.error.type}: {job.error.message}" if job.error else None
    return output.fields(
        f"Job {job.job_id}",
        [
            ("status", job.status.value),
            ("stage", f"{job.progress.stage} ({job.progress.fraction:.0%})"),
            ("request", job.request.model_dump_json(exclude_none=True)),
            ("created", job.created_at),
            ("started", job.started_at),
            ("finished", job.finished_at),
            ("attempts", job.attempts),
            ("error", error),
            ("model id", job.model_id),
            ("model version", job.model_version),
            ("test accuracy", metrics.test_accuracy if metrics else None),
            ("train accuracy", metrics.train_accuracy if metrics else None),
            ("warnings", "; ".join(job.warnings)),
        ],
    )


@jobs_app.command("show")
def show_job(ctx: typer.Context, job_id: str, as_json: JsonFlag = False) -> None:
    """One job: status, stage, timings, error, model and metrics."""
    with client_for(ctx) as client:
        job = client.get_job(job_id)
    output.emit_json(job) if as_json else output.show(job_fields(job))


@jobs_app.command("wait")
def wait_job(
    ctx: typer.Context, job_id: str, timeout: Timeout = 600.0, as_json: JsonFlag = False
) -> None:
    """Wait for a job to end; exit code 3 when it failed or was cancelled."""
    with client_for(ctx) as client:
        job = (wait_quietly if as_json else wait_with_progress)(client, job_id, timeout)
    report_job(job, as_json)


@jobs_app.command("cancel")
def cancel_job(ctx: typer.Context, job_id: str, as_json: JsonFlag = False) -> None:
    """Cancel a queued or running job (exit code 1 when it has already ended)."""
    with client_for(ctx) as client:
        job = client.cancel_job(job_id)
    output.emit_json(job) if as_json else output.show(f"job {job.job_id} {job.status.value}")


def algorithms(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Algorithms and their hyperparameters (defaults and constraints: --json)."""
    with client_for(ctx) as client:
        found = client.list_algorithms()
    if as_json:
        return output.emit_json(found)
    rows = [
        (a.name, a.estimator.rsplit(".", 1)[-1], " ".join(h.name for h in a.hyperparameters))
        for a in found
    ]
    output.show(output.table("Algorithms", ("name", "estimator", "hyperparameters"), rows))
