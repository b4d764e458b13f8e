"""Online predictions over HTTP: by model id, or by name (latest, a given version or an alias).

HTTP only: each route turns its path into a ModelRef and hands the raw body to
app.inference.service.predict, which parses it itself (so parsing is timed and its errors
name the row and column). The request schema is published inline for the docs. Errors map to
HTTP in app/errors.py.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi import status as http

from app.dependencies import InferenceDep
from app.inference import service
from app.security.deps import requires_read
from tensorfleet.schemas.aliases import ALIAS_MAX_LENGTH, ALIAS_PATTERN
from tensorfleet.schemas.inference import ModelRef, PredictRequest, PredictResponse
from tensorfleet.schemas.training import IDENTIFIER_PATTERN

router = APIRouter(prefix="/api/v1", tags=["inference"])

ModelName = Annotated[
    str, Path(min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN, description="Model name.")
]
ModelId = Annotated[str, Path(min_length=1, max_length=64, description="The model id.")]
Alias = Annotated[
    str, Path(max_length=ALIAS_MAX_LENGTH, pattern=ALIAS_PATTERN, description="An alias.")
]
Version = Annotated[int, Path(ge=1, le=2**62, description="The model version.")]

PREDICT_ROUTE: dict[str, Any] = {
    "response_model": PredictResponse,
    "status_code": http.HTTP_200_OK,
    "responses": {
        404: {"description": "No such model (or it was deleted)."},
        422: {"description": "The body is not one of the formats, or a row does not fit."},
    },
    "dependencies": [requires_read],
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
        }
    },
}


async def _answer(inference: service.Inference, ref: ModelRef, request: Request) -> Response:
    body = await service.predict(inference, ref, await request.body())
    return Response(body, media_type="application/json")


@router.post("/models/{model_id}/predict", **PREDICT_ROUTE)
async def predict(model_id: ModelId, inference: InferenceDep, request: Request) -> Response:
    """Predict with a model by id: one row or many, in any of the four formats."""
    return await _answer(inference, ModelRef(model_id=model_id), request)


@router.post("/models/by-name/{name}/latest/predict", **PREDICT_ROUTE)
async def predict_latest(name: ModelName, inference: InferenceDep, request: Request) -> Response:
    """Predict with the highest version of a model name."""
    return await _answer(inference, ModelRef(name=name), request)


@router.post("/models/by-name/{name}/versions/{version}/predict", **PREDICT_ROUTE)
async def predict_version(
    name: ModelName, version: Version, inference: InferenceDep, request: Request
) -> Response:
    """Predict with one version of a model name."""
    return await _answer(inference, ModelRef(name=name, version=version), request)


@router.post("/models/by-name/{name}/aliases/{alias}/predict", **PREDICT_ROUTE)
async def predict_alias(
    name: ModelName, alias: Alias, inference: InferenceDep, request: Request
) -> Response:
    """Predict with the version an alias points at; the answer's `model.version` says which."""
    return await _answer(inference, ModelRef(name=name, alias=alias), request)
