"""The train page: a form generated from GET /algorithms, submitted through the training
service; the API's validation messages appear beside the fields they name."""

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from app.config import Settings
from app.datasets.service import list_datasets
from app.dependencies import DatabaseDep, RedisDep, SettingsDep
from app.routers.training import list_algorithms
from app.security.deps import CallerDep
from app.security.guard import Principal
from app.security.schemas import Scope
from app.training import service
from app.training.exceptions import InvalidTrainingRequest, JobAlreadyExists
from app.ui import trainform
from app.ui.rendering import render
from app.ui.session import CheckedForm, Viewer, authorize
from tensorfleet.schemas.training import AlgorithmRead, TrainRequest

router = APIRouter(prefix="/ui/train", include_in_schema=False)


async def algorithm_table(settings: Settings) -> dict[str, AlgorithmRead]:
    """Exactly what GET /algorithms returns, by name."""
    return {algorithm.name: algorithm for algorithm in await list_algorithms(settings)}


async def form_page(
    request: Request,
    db: DatabaseDep,
    principal: Principal,
    *,
    values: dict,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "algorithms": list((await algorithm_table(request.state.resources.settings)).values()),
        "datasets": await list_datasets(db),
        "values": values,
        "errors": errors,
        "hp_prefix": trainform.HP_PREFIX,
        "input_type": trainform.input_type,
    }
    return render(request, "train.html", context, principal=principal, status_code=status_code)


@router.get("")
async def train_page(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    chosen = request.query_params.get("dataset_name", "")  # from a dataset page's link
    values = {"dataset_name": chosen} if chosen else {}
    return await form_page(request, db, principal, values=values, errors={})


@router.post("")
async def submit(
    request: Request,
    form: CheckedForm,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
    caller: CallerDep,
) -> Response:
    principal = await authorize(request, Scope.train)
    algorithms = await algorithm_table(settings)
    values = {key: str(value) for key, value in form.items() if key != "csrf_token"}
    algorithm = values.get("algorithm", "")
    try:
        train_request = TrainRequest.model_validate(trainform.request_body(form, algorithms))
        job = await service.submit_training_job(
            db=db, redis=redis, settings=settings, request=train_request, owner=caller.identity
        )
    except ValidationError as exc:
        errors = trainform.validation_errors(exc, algorithm)
    except InvalidTrainingRequest as exc:
        errors = trainform.service_errors(exc, algorithm)
    except JobAlreadyExists as exc:
        errors = {"job_id": str(exc)}
    else:
        return RedirectResponse(f"/ui/jobs/{job['_id']}", status.HTTP_303_SEE_OTHER)
    return await form_page(request, db, principal, values=values, errors=errors, status_code=422)
