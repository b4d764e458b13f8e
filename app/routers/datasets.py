"""Datasets over HTTP: upload (streamed), list, read, preview, delete a version.

An upload is the file as the request body (no multipart): curl sends it with
`--data-binary @file.csv`, httpx with `content=` a file or an iterator, and Swagger UI shows a
file picker. The body streams into GridFS as it arrives; the options are query parameters.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi import status as http

from app.datasets import service
from app.datasets.exceptions import UploadRefused
from app.datasets.preview import preview_rows
from app.datasets.reading import limits_from
from app.dependencies import DatabaseDep, RedisDep, SettingsDep
from app.security.deps import requires_admin, requires_read, requires_train
from app.training.tasks import Task
from tensorfleet.schemas.datasets import (
    DatasetDetail,
    DatasetPreview,
    DatasetVersionDeleted,
    DatasetVersionRead,
)
from tensorfleet.schemas.training import IDENTIFIER_PATTERN, DatasetRead

router = APIRouter(tags=["datasets"])
DatasetName = Annotated[
    str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN, description="Its name.")
]
Version = Annotated[int, Path(ge=1, le=2**31 - 1, description="A version of the dataset.")]
BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file itself: CSV (UTF-8, a header row) or Parquet.",
        "content": {
            "text/csv": BINARY,
            "application/vnd.apache.parquet": BINARY,
            "application/octet-stream": BINARY,
        },
    }
}


FORM_REFUSED = (
    "send the file itself as the request body (curl --data-binary @table.csv, httpx "
    "content=...), not a multipart form (curl -F)"
)


def refuse_forms(request: Request) -> None:
    """415 before the body is read: a form's boundary line would be taken for a CSV header."""
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        raise UploadRefused(http.HTTP_415_UNSUPPORTED_MEDIA_TYPE, FORM_REFUSED)


def version_location(name: str, version: int) -> str:
    return f"/datasets/{name}/versions/{version}"


@router.post(
    "/datasets",
    response_model=DatasetVersionRead,
    status_code=http.HTTP_202_ACCEPTED,
    summary="Upload a CSV or Parquet file as a new dataset version",
    dependencies=[requires_train],
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"description": "These bytes, target and task are this version already."},
        413: {
            "description": "Over DATASET_MAX_BYTES (while streaming), DATASET_MAX_COLUMNS or "
            "DATASET_MAX_ROWS (counted as the CSV streams, or from the Parquet footer); "
            "nothing stored."
        },
        415: {
            "description": "Neither Parquet nor UTF-8 CSV text, or a multipart form instead of "
            "the file itself; nothing stored."
        },
        422: {
            "description": "Empty, a header without rows, an empty, duplicate or over-long "
            "column name, no column named `target`, `task` without `target`, or unreadable "
            "Parquet; nothing stored."
        },
        503: {"description": "The job queue is unavailable; nothing stored."},
    },
)
async def upload_dataset(
    request: Request,
    response: Response,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
    name: Annotated[str, Query(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)],
    target: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=1024,
            description="Target column. Omit it for unlabeled rows (batch prediction input).",
        ),
    ] = None,
    task: Annotated[Task | None, Query(description="Override the inferred task.")] = None,
    description: Annotated[str, Query(max_length=500)] = "",
) -> DatasetVersionRead:
    """Status `ingesting` at first; poll the version's Location until `ready` or `failed`."""
    refuse_forms(request)
    version, created = await service.upload_dataset(
        db=db,
        redis=redis,
        name=name,
        target=target,
        task=task.value if task else None,
        description=description,
        chunks=request.stream(),
        max_bytes=settings.dataset_max_bytes,
        limits=limits_from(settings),
    )
    response.headers["Location"] = version_location(name, version["version"])
    if not created:
        response.status_code = http.HTTP_200_OK
    return DatasetVersionRead.from_document(version)


@router.get(
    "/datasets",
    response_model=list[DatasetRead],
    summary="Datasets, each as its latest ready version",
    dependencies=[requires_read],
)
async def list_datasets(db: DatabaseDep) -> list[DatasetRead]:
    return [DatasetRead(**d) for d in await service.list_datasets(db)]


@router.get(
    "/datasets/{name}",
    response_model=DatasetDetail,
    summary="A dataset and its versions",
    dependencies=[requires_read],
    responses={404: {"description": "No such dataset."}},
)
async def get_dataset(name: DatasetName, db: DatabaseDep) -> DatasetDetail:
    found = await service.get_dataset(db, name)
    versions = [DatasetVersionRead.from_document(v) for v in found.pop("versions_list")]
    return DatasetDetail(**found, versions=versions)


@router.get(
    "/datasets/{name}/versions/{version}",
    response_model=DatasetVersionRead,
    summary="One version: status, schema and profile",
    dependencies=[requires_read],
    responses={404: {"description": "No such dataset version."}},
)
async def get_version(name: DatasetName, version: Version, db: DatabaseDep) -> DatasetVersionRead:
    return DatasetVersionRead.from_document(await service.get_version(db, name, version))


@router.get(
    "/datasets/{name}/versions/{version}/preview",
    response_model=DatasetPreview,
    summary="The first rows of a version's file",
    dependencies=[requires_read],
    responses={404: {"description": "No such dataset version."}},
)
async def preview(
    name: DatasetName,
    version: Version,
    db: DatabaseDep,
    rows: Annotated[int, Query(ge=1, le=20)] = 10,
) -> DatasetPreview:
    document = await service.get_version(db, name, version)
    return DatasetPreview(name=name, version=version, rows=preview_rows(document)[:rows])


@router.delete(
    "/datasets/{name}/versions/{version}",
    response_model=DatasetVersionDeleted,
    summary="Delete a dataset version",
    dependencies=[requires_admin],
    responses={
        404: {"description": "No such dataset version."},
        409: {"description": "Models were trained on it; `models` lists them. Use force=true."},
    },
)
async def delete_version(
    name: DatasetName,
    version: Version,
    db: DatabaseDep,
    force: Annotated[bool, Query(description="Delete even if models use it.")] = False,
) -> DatasetVersionDeleted:
    models = await service.delete_version(db=db, name=name, version=version, force=force)
    return DatasetVersionDeleted(name=name, version=version, models=[m["id"] for m in models])
