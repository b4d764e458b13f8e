"""Page arithmetic shared by every paged list, so jobs and models count pages the same way.

Free of FastAPI (the worker imports it through the services); the query parameters that
choose a page are declared in app/routers/paging.py."""

import math
from dataclasses import dataclass

from tensorfleet.schemas.training import JobStatus

MAX_PAGE = 100_000  # deeper pages: a larger skip overflows the driver
MAX_LIMIT = 100


def page_count(total: int, limit: int) -> int:
    """Pages of `limit` items holding `total` items (0 when there are none)."""
    return math.ceil(total / limit)


@dataclass(frozen=True)
class Page:
    """Which page of a list, newest first: `page` from 1, `limit` items each."""

    page: int
    limit: int


@dataclass(frozen=True)
class JobPage(Page):
    """A page of a job list, of the jobs in `status` only when it is given."""

    status: JobStatus | None
