"""The predict page: a form built from the model's input columns, or a CSV file, answered by
the same inference service as POST /api/v1/models/{id}/predict."""

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.dependencies import DatabaseDep, InferenceDep
from app.inference import service
from app.inference.columns import model_input
from app.inference.exceptions import InvalidPredictionInput
from app.registry.service import get_model
from app.security.guard import Principal
from app.ui import predictform
from app.ui.models import ModelId
from app.ui.rendering import render
from app.ui.session import CheckedForm, Viewer
from tensorfleet.schemas.inference import ModelRef
from tensorfleet.schemas.registry import ModelRead

router = APIRouter(prefix="/ui/models", include_in_schema=False)


async def predict_page(
    request: Request, principal: Principal, document: dict[str, Any], **extra: Any
) -> Response:
    context = {
        "model": ModelRead.from_document(document),
        "columns": model_input(document).columns,
        "prefix": predictform.FIELD_PREFIX,
        "values": {},
        "errors": [],
        "answer": None,
    } | extra
    status_code = 422 if extra.get("errors") else 200
    return render(request, "predict.html", context, principal=principal, status_code=status_code)


@router.get("/{model_id}/predict")
async def predict_form(
    request: Request, principal: Viewer, db: DatabaseDep, model_id: ModelId
) -> Response:
    return await predict_page(request, principal, await get_model(db, model_id=model_id))


@router.post("/{model_id}/predict")
async def predict(
    request: Request,
    principal: Viewer,
    form: CheckedForm,
    db: DatabaseDep,
    inference: InferenceDep,
    model_id: ModelId,
) -> Response:
    document = await get_model(db, model_id=model_id)
    body = await predictform.request_body(form, model_input(document))
    values = {key: str(value) for key, value in form.items() if key.startswith("col.")}
    try:
        answer = await service.predict(
            inference, ModelRef(model_id=model_id), json.dumps(body).encode()
        )
    except InvalidPredictionInput as exc:
        return await predict_page(request, principal, document, values=values, errors=exc.errors)
    result = json.loads(answer)
    rows = list(
        zip(
            body["instances"],
            result["predictions"],
            result["probabilities"] or [{}] * len(result["predictions"]),
            strict=True,
        )
    )
    return await predict_page(request, principal, document, values=values, answer=rows)
