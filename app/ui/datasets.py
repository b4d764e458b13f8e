"""Datasets: the list with an upload form, a dataset's page (versions, profile, target chart,
preview, live status while ingesting) and deleting a version behind a confirmation.

Every rule is app.datasets.service's; these routes only render. The upload is the raw request
body streamed to the same service as POST /datasets: the session cookie is scoped to /ui, so
the page's script posts here with the CSRF token in a header instead of reaching the JSON route.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from app.datasets import service
from app.datasets.preview import preview_rows
from app.datasets.reading import limits_from
from app.dependencies import DatabaseDep, RedisDep, SettingsDep
from app.security.schemas import Scope
from app.training.tasks import Task
from app.ui import csrf
from app.ui.charts import bar_chart
from app.ui.rendering import render
from app.ui.session import CheckedForm, UIRefusal, Viewer, authorize
from tensorfleet.schemas.datasets import DatasetVersionRead
from tensorfleet.schemas.training import IDENTIFIER_PATTERN

PREVIEW_ROWS = 10
CSRF_HEADER = "x-csrf-token"
router = APIRouter(prefix="/ui/datasets", include_in_schema=False)
# The page's upload streams the file like POST /datasets: app.main gives it the same body limit.
UPLOAD_PATH = f"{router.prefix}/upload"
DatasetName = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]


def page_url(name: str, version: int) -> str:
    return f"/ui/datasets/{name}?version={version}"


def target_chart(version: DatasetVersionRead) -> Any:
    """Class counts for a classification target, min/mean/max for a regression one."""
    if version.class_counts:
        rows = [(c.label, float(c.count)) for c in version.class_counts]
        return bar_chart(rows, title="Target classes")
    if version.target_summary:
        s = version.target_summary
        rows = [("min", s.min), ("mean", s.mean), ("max", s.max)]
        return bar_chart(rows, title="Target range", fmt="{:.4g}")
    return None


async def version_context(db: DatabaseDep, name: str, number: int) -> dict[str, Any]:
    document = await service.get_version(db, name, number)
    version = DatasetVersionRead.from_document(document)
    preview = preview_rows(document)[:PREVIEW_ROWS]
    return {"version": version, "chart": target_chart(version), "preview": preview}


@router.get("")
async def dataset_list(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    context = {"datasets": await service.list_datasets(db), "tasks": [t.value for t in Task]}
    return render(request, "datasets.html", context, principal=principal)


@router.get("/{name}")
async def dataset_page(
    request: Request,
    principal: Viewer,
    db: DatabaseDep,
    name: DatasetName,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    found = await service.get_dataset(db, name)
    versions = [DatasetVersionRead.from_document(v) for v in found["versions_list"]]
    chosen = version or versions[0].version
    context = {"dataset": found, "versions": versions}
    context |= await version_context(db, name, chosen)
    return render(request, "dataset.html", context, principal=principal)


@router.get("/{name}/versions/{version}/live")
async def version_live(
    request: Request, principal: Viewer, db: DatabaseDep, name: DatasetName, version: Version
) -> Response:
    context = await version_context(db, name, version)
    return render(request, "fragments/dataset_live.html", context, principal=principal)


def header_token_matches(request: Request) -> bool:
    return csrf.sent_token_matches(request, request.headers.get(CSRF_HEADER, ""))


@router.post(UPLOAD_PATH.removeprefix(router.prefix))
async def upload(
    request: Request,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
    name: Annotated[str, Query(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)],
    target: Annotated[str, Query(max_length=1024)] = "",
    task: Task | None = None,
) -> Response:
    """The file as the raw body (the page's script sends it), streamed like POST /datasets."""
    if not header_token_matches(request):
        raise UIRefusal(status.HTTP_403_FORBIDDEN, "CSRF check failed; reload the page and retry")
    await authorize(request, Scope.train)
    version, _ = await service.upload_dataset(
        db=db,
        redis=redis,
        name=name,
        target=target or None,  # the form's empty target: unlabeled rows
        task=task.value if task else None,
        description="",
        chunks=request.stream(),
        max_bytes=settings.dataset_max_bytes,
        limits=limits_from(settings),
    )
    return JSONResponse({"location": page_url(name, version["version"])})


@router.get("/{name}/versions/{version}/delete")
async def confirm_delete(
    request: Request, principal: Viewer, db: DatabaseDep, name: DatasetName, version: Version
) -> Response:
    context = {
        "version": DatasetVersionRead.from_document(await service.get_version(db, name, version)),
        "models": await service.models_using(db, name, version),
    }
    return render(request, "dataset_delete.html", context, principal=principal)


@router.post("/{name}/versions/{version}/delete")
async def delete(
    request: Request, form: CheckedForm, db: DatabaseDep, name: DatasetName, version: Version
) -> Response:
    await authorize(request, Scope.admin)
    force = form.get("force") == "true"
    await service.delete_version(db=db, name=name, version=version, force=force)
    return RedirectResponse("/ui/datasets?deleted=1", status.HTTP_303_SEE_OTHER)
