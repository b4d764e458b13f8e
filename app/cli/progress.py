"""Waiting for a job with a live display of its status and stage (on stderr)."""

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from app.cli.output import stderr
from app.cli.state import EXIT_TIMEOUT, fail
from app.client import JobWaitTimeout, TensorFleetClient
from app.training.schemas import JobRead


def job_label(job: JobRead) -> str:
    return f"{job.job_id}: {job.status.value}, {job.progress.stage}"


def wait_with_progress(client: TensorFleetClient, job_id: str, timeout: float) -> JobRead:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr()) as progress:
        task = progress.add_task(job_id, total=1.0)

        def update(job: JobRead) -> None:
            progress.update(task, description=job_label(job), completed=job.progress.fraction)

        return wait_or_exit(client, job_id, timeout, update)


def wait_or_exit(client: TensorFleetClient, job_id: str, timeout: float, update=None) -> JobRead:
    try:
        return client.wait_for_job(job_id, timeout=timeout, on_update=update)
    except JobWaitTimeout as exc:
        fail(
            f"{exc.message} after {timeout:g}s; see `tensorfleet jobs show {job_id}`", EXIT_TIMEOUT
        )
