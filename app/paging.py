"""Paging shared by every paged list: the query parameters a job list takes (one declaration
of their bounds and defaults) and the page arithmetic, so lists count pages the same way."""

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from tensorfleet.schemas.training import JobStatus

MAX_PAGE = 100_000  # deeper pages: a larger skip overflows the driver
MAX_LIMIT = 100
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]
PageLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


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


async def page_query(page: PageNumber = 1, limit: PageLimit = 20) -> Page:
    return Page(page=page, limit=limit)


PageQuery = Annotated[Page, Depends(page_query)]


async def job_page_query(
    paging: PageQuery, status_: Annotated[JobStatus | None, Query(alias="status")] = None
) -> JobPage:
    return JobPage(page=paging.page, limit=paging.limit, status=status_)


JobPageQuery = Annotated[JobPage, Depends(job_page_query)]
