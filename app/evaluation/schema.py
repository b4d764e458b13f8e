"""Whether a dataset version can evaluate a model: checked before anything is queued.

The dataset must have a target of the model's task and every column the model takes, of a
compatible type (numbers where the model takes numbers, anything else where it takes
categories); thresholds must name metrics of that task. Each problem is a 422 naming the field.
"""

from typing import Any

from app.batch.plan import stored_columns
from app.evaluation.exceptions import InvalidEvaluationRequest
from app.inference.columns import model_input
from tensorfleet.schemas.evaluation import CLASSIFICATION_METRICS, REGRESSION_METRICS

DATASET = ("body", "dataset_name")


def _numeric(kind: str) -> bool:
    return kind == "numeric"


def check_task(model: dict[str, Any], dataset: dict[str, Any]) -> None:
    task, theirs = model.get("task", "classification"), dataset["task"]
    if task != theirs:
        raise InvalidEvaluationRequest(
            DATASET,
            f"dataset {dataset['name']!r} version {dataset['version']} has a {theirs} target "
            f"({dataset['target_column']!r}); model {model['name']!r} v{model['version']} "
            f"is a {task} model",
        )


def check_columns(model: dict[str, Any], dataset: dict[str, Any]) -> None:
    """Every column the model takes is in the version's normalised copy (as batch predictions
    read it: app/batch/plan.py), of a compatible type."""
    target = dataset["target_column"]
    stored = stored_columns(dataset)
    have = {name: c["type"] for name, c in stored.items() if name != target}
    wanted = model_input(model).columns
    where = f"dataset {dataset['name']!r} version {dataset['version']}"
    missing = [c.name for c in wanted if c.name not in have]
    if missing:
        raise InvalidEvaluationRequest(
            DATASET, f"{where} lacks columns the model takes: {', '.join(missing[:20])}"
        )
    clashes = [c for c in wanted if _numeric(c.type) != _numeric(have[c.name])]
    if clashes:
        described = ", ".join(
            f"{c.name!r} ({have[c.name]}, the model takes {c.type})" for c in clashes[:20]
        )
        raise InvalidEvaluationRequest(DATASET, f"{where} has columns of another type: {described}")


def check_thresholds(task: str, metrics: list[str]) -> None:
    valid = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    for metric in metrics:
        if metric not in valid:
            raise InvalidEvaluationRequest(
                ("body", "thresholds", metric),
                f"{metric} is not a metric of a {task} model; use {', '.join(valid)}",
            )


def check_fit(model: dict[str, Any], dataset: dict[str, Any], metrics: list[str]) -> None:
    check_task(model, dataset)
    check_columns(model, dataset)
    check_thresholds(dataset["task"], metrics)
