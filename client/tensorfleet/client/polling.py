"""Backoff for polling a job or a dataset version: quick at first, then at most every
`max_delay` seconds."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tensorfleet.client.errors import JobWaitTimeout
from tensorfleet.schemas.datasets import DatasetVersionRead
from tensorfleet.schemas.training import JobRead


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.1
    factor: float = 1.5
    max_delay: float = 2.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * self.factor, self.max_delay)


def next_delay(delays: Iterator[float], remaining: float, job: JobRead) -> float:
    """The next pause, shortened to the time left; raises JobWaitTimeout when none is left."""
    still = f"job {job.job_id} is still {job.status.value} (stage {job.progress.stage})"
    return pause(delays, remaining, still, job)


def dataset_delay(delays: Iterator[float], remaining: float, version: DatasetVersionRead) -> float:
    """As next_delay, for a dataset version still being ingested."""
    still = f"dataset {version.name} v{version.version} is still {version.status}"
    return pause(delays, remaining, still, version)


def pause(delays: Iterator[float], remaining: float, still: str, last: Any) -> float:
    if remaining <= 0:
        raise JobWaitTimeout(still, job=last)
    return min(next(delays), remaining)
