"""Waiting for a job with a live display of its status and stage (on stderr)."""

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tensorfleet.cli.output import stderr
from tensorfleet.cli.state import EXIT_TIMEOUT, fail
from tensorfleet.client import JobWaitTimeout, TensorFleetClient
from tensorfleet.schemas.training import JobRead


@contextmanager
def timeout_exits(job_id: str, timeout: float) -> Iterator[None]:
    try:
        yield
    except JobWaitTimeout as exc:
        fail(
            f"{exc.message} after {timeout:g}s; see `tensorfleet jobs show {job_id}`", EXIT_TIMEOUT
        )


def job_label(job: JobRead) -> str:
    return f"{job.job_id}: {job.status.value}, {job.progress.stage}"


def wait_with_progress(client: TensorFleetClient, job_id: str, timeout: float) -> JobRead:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with timeout_exits(job_id, timeout), Progress(*columns, console=stderr()) as progress:
        task = progress.add_task(job_id, total=1.0)

        def update(job: JobRead) -> None:
            progress.update(task, description=job_label(job), completed=job.progress.fraction)

        return client.wait_for_job(job_id, timeout=timeout, on_update=update)


def wait_quietly(client: TensorFleetClient, job_id: str, timeout: float) -> JobRead:
    with timeout_exits(job_id, timeout):
        return client.wait_for_job(job_id, timeout=timeout)
