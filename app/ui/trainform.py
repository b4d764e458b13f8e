"""The train form: built from GET /algorithms' data, read back into a TrainRequest.

Errors come from the same places as the API's 422: the TrainRequest model and the training
service's checks. Each is keyed by the form field it names, to show beside that field.
"""

import json
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.training.exceptions import InvalidTrainingRequest
from tensorfleet.schemas.training import AlgorithmRead

HP_PREFIX = "hp."
FIELDS = ("job_id", "dataset_name", "algorithm", "model_name", "test_size", "random_state")


def input_type(kind: str) -> str:
    return {"integer": "number", "number": "number", "boolean": "select"}.get(kind, "text")


def parse_value(raw: str, kind: str) -> Any:
    """A typed value from a text box: numbers and booleans as JSON, else the text itself (which
    the request's validation then refuses by field, as it does nesting too deep to parse)."""
    if kind == "string":
        return raw
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return raw


def hyperparameters(form: FormData, algorithm: AlgorithmRead | None) -> dict[str, Any]:
    """The hyperparameters the user filled in for the chosen algorithm; blank means default."""
    if algorithm is None:
        return {}
    chosen = {}
    for parameter in algorithm.hyperparameters:
        raw = str(form.get(f"{HP_PREFIX}{algorithm.name}.{parameter.name}", "")).strip()
        if raw:
            chosen[parameter.name] = parse_value(raw, parameter.type)
    return chosen


def request_body(form: FormData, algorithms: dict[str, AlgorithmRead]) -> dict[str, Any]:
    """The JSON body the API would receive: only the fields filled in."""
    body: dict[str, Any] = {
        name: str(form.get(name, "")).strip() for name in FIELDS if str(form.get(name, "")).strip()
    }
    body["hyperparameters"] = hyperparameters(form, algorithms.get(body.get("algorithm", "")))
    return body


def field_key(location: tuple[Any, ...] | list[Any], algorithm: str) -> str:
    """The form field an error location names: ("body", "hyperparameters", "C") -> hp.svm.C."""
    parts = [str(p) for p in location if p != "body"]
    if len(parts) >= 2 and parts[0] == "hyperparameters":
        return f"{HP_PREFIX}{algorithm}.{parts[1]}"
    return parts[0] if parts else "form"


def validation_errors(exc: ValidationError, algorithm: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        errors.setdefault(field_key(error["loc"], algorithm), error["msg"])
    return errors


def service_errors(exc: InvalidTrainingRequest, algorithm: str) -> dict[str, str]:
    return {field_key(exc.location, algorithm): exc.message}
