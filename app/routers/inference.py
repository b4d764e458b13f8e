"""Online predictions over HTTP: by model id, or by name (latest, a given version or an alias).

HTTP only: one handler, served on each way of naming a model (app/routers/model_refs.py), hands
the ModelRef its path names and the raw body to app.inference.service.predict, which parses it
itself (so parsing is timed and its errors name the row and column). The request schema is
published inline for the docs. Errors map to HTTP in app/errors.py.
"""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi import status as http

from app.dependencies import InferenceDep
from app.inference import service
from app.routers.model_refs import ALIAS, BY_ID, LATEST, VERSION, add_model_routes
from app.security.deps import requires_read
from tensorfleet.schemas.inference import ModelRef, PredictRequest, PredictResponse

router = APIRouter(prefix="/api/v1", tags=["inference"])

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


async def predict(ref: ModelRef, inference: InferenceDep, request: Request) -> Response:
    body = await service.predict(inference, ref, await request.body())
    return Response(body, media_type="application/json")


add_model_routes(
    router,
    "/predict",
    predict,
    {
        BY_ID: (
            "predict",
            "Predict with a model by id: one row or many, in any of the four formats.",
        ),
        LATEST: ("predict_latest", "Predict with the highest version of a model name."),
        VERSION: ("predict_version", "Predict with one version of a model name."),
        ALIAS: (
            "predict_alias",
            "Predict with the version an alias points at; the answer's `model.version` says which.",
        ),
    },
    methods=["POST"],
    **PREDICT_ROUTE,
)
