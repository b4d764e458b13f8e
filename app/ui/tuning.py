"""Searches: the list, a search's page (its trials plotted, the leaderboard, the registered
model) refreshed while it runs, and cancelling."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.dependencies import DatabaseDep, RedisDep
from app.routers.paging import PageNumber
from app.security.schemas import Scope
from app.tuning import service
from app.ui.charts import bar_chart, trial_chart
from app.ui.rendering import render
from app.ui.session import CheckedForm, Viewer, authorize
from tensorfleet.schemas.training import IDENTIFIER_PATTERN, JobStatus
from tensorfleet.schemas.tuning import TrialState, TuningRead

PAGE_SIZE = 25
LEADERBOARD_BARS = 10
router = APIRouter(prefix="/ui/tuning", include_in_schema=False)
TuningId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]


@router.get("")
async def tuning_list(
    request: Request, principal: Viewer, db: DatabaseDep, page: PageNumber = 1
) -> Response:
    listing = await service.list_tunings(db=db, status=None, page=page, limit=PAGE_SIZE)
    context = {"listing": listing, "page": page, "pages": max(1, listing.pages)}
    return render(request, "tunings.html", context, principal=principal)


def charts(tuning: TuningRead) -> dict[str, object]:
    """The trials by number (complete and pruned), and the leaderboard's best as bars."""
    scored = [
        (t.number, t.score, t.state == TrialState.complete)
        for t in tuning.trials
        if t.score is not None and t.state in (TrialState.complete, TrialState.pruned)
    ]
    maximize = tuning.direction == "maximize"
    title = f"{tuning.metric} by trial (line: best so far)"
    bars = [
        (f"#{row.number} {row.algorithm}", row.score)
        for row in tuning.leaderboard[:LEADERBOARD_BARS]
    ]
    return {
        "trial_chart": trial_chart(scored, title=title, maximize=maximize),
        "leaderboard_chart": bar_chart(bars, title=f"Best trials by {tuning.metric}", fmt="{:.4f}")
        if maximize
        else None,
    }


async def tuning_context(db: DatabaseDep, tuning_id: str) -> dict[str, object]:
    tuning = await service.read_tuning(db=db, tuning_id=tuning_id)
    return {
        "tuning": tuning,
        "ended": tuning.status in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled),
    } | charts(tuning)


@router.get("/{tuning_id}")
async def tuning_page(
    request: Request, principal: Viewer, db: DatabaseDep, tuning_id: TuningId
) -> Response:
    context = await tuning_context(db, tuning_id)
    return render(request, "tuning.html", context, principal=principal)


@router.get("/{tuning_id}/live")
async def tuning_live(
    request: Request, principal: Viewer, db: DatabaseDep, tuning_id: TuningId
) -> Response:
    context = await tuning_context(db, tuning_id)
    return render(request, "fragments/tuning_live.html", context, principal=principal)


@router.post("/{tuning_id}/cancel")
async def cancel(
    request: Request, form: CheckedForm, db: DatabaseDep, redis: RedisDep, tuning_id: TuningId
) -> Response:
    await authorize(request, Scope.train)
    await service.cancel_tuning(db=db, redis=redis, tuning_id=tuning_id)
    return RedirectResponse(f"/ui/tuning/{tuning_id}", status.HTTP_303_SEE_OTHER)
