"""Waiting for a job: the server's long poll when it has one, polling with backoff otherwise.

Each long poll names the state last seen (the job's ETag), so a change made between two polls
is answered at once, never missed. A server older than the long poll ignores `wait` and sends
no ETag: the waiter then falls back to polling with the backoff, as clients did before. So
does a waiter whose long poll a busy server refuses (503: it holds LIVE_MAX_WAITERS waits).
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tensorfleet.client.errors import ServerError
from tensorfleet.client.polling import Backoff, next_delay
from tensorfleet.schemas.training import JobRead

LONG_POLL_SECONDS = 30.0  # the server's bound is 60
NETWORK_MARGIN_SECONDS = 10.0  # the request's timeout beyond the wait


@dataclass(frozen=True, slots=True)
class WatchedJob:
    job: JobRead
    etag: str | None  # None: the server has no long poll


@dataclass
class JobWaiter:
    """The state of one wait_for_job, shared by the sync and async clients."""

    job_id: str
    timeout: float
    backoff: Backoff
    long_poll: bool = True
    seen: str | None = None
    deadline: float = field(init=False)
    delays: Iterator[float] = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.timeout
        self.delays = self.backoff.delays()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def wait(self) -> float:
        """Seconds the next long poll may wait: at most what is left of the timeout."""
        return max(0.0, min(LONG_POLL_SECONDS, self.remaining()))

    def request_timeout(self) -> float:
        return self.wait() + NETWORK_MARGIN_SECONDS

    def refused(self, error: ServerError) -> None:
        """After a 503 to a long poll, poll plainly (the server answers those at once); any
        other server error, or one to a plain read, is the caller's."""
        if not self.long_poll or error.status_code != 503:
            raise error
        self.long_poll = False

    def pause(self, watched: WatchedJob) -> float:
        """Seconds to sleep before the next request; JobWaitTimeout once time is up."""
        if watched.etag is None:
            self.long_poll = False
        self.seen = watched.etag
        if self.long_poll:
            if self.remaining() <= 0:
                next_delay(self.delays, 0, watched.job)  # raises JobWaitTimeout
            return 0.0
        return next_delay(self.delays, self.remaining(), watched.job)
