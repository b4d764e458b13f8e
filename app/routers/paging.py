"""The query parameters a paged list takes: one declaration of their bounds and defaults."""

from typing import Annotated

from fastapi import Depends, Query

from app.paging import MAX_LIMIT, MAX_PAGE, JobPage, Page
from tensorfleet.schemas.training import JobStatus

PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]
PageLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


async def page_query(page: PageNumber = 1, limit: PageLimit = 20) -> Page:
    return Page(page=page, limit=limit)


PageQuery = Annotated[Page, Depends(page_query)]


async def job_page_query(
    paging: PageQuery, status_: Annotated[JobStatus | None, Query(alias="status")] = None
) -> JobPage:
    return JobPage(page=paging.page, limit=paging.limit, status=status_)


JobPageQuery = Annotated[JobPage, Depends(job_page_query)]
