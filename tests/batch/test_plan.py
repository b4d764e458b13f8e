"""Whether a model can predict a version, from their metadata: also for versions ingested
before the normalised copy kept every column, and for models stored before input schemas."""

import pytest

from app.batch.exceptions import InvalidBatchRequest
from app.batch.plan import plan_batch, stored_columns
from tensorfleet.schemas.batch import BatchPredictRequest

MODEL = {
    "input_schema": [
        {"name": "age", "type": "numeric"},
        {"name": "plan", "type": "categorical", "categories": ["basic", "pro"]},
    ],
    "task": "classification",
}
COLUMNS = [
    {"name": "customer_id", "type": "categorical", "excluded": True, "missing": 0},
    {"name": "age", "type": "numeric", "excluded": False, "missing": 3},
    {"name": "plan", "type": "categorical", "excluded": False, "missing": 0},
]
NEW = {
    "name": "customers",
    "version": 2,
    "n_samples": 600,
    "target_column": "churned",
    "task": "classification",
    "features": ["age", "plan"],
    "columns": COLUMNS,
    "normalised_columns": ["customer_id", "age", "plan", "churned"],
}
OLD = {key: value for key, value in NEW.items() if key != "normalised_columns"}


def request(**fields: object) -> BatchPredictRequest:
    return BatchPredictRequest.model_validate({"dataset_name": "customers"} | fields)


def test_a_version_from_before_keeps_its_features_and_target_only() -> None:
    assert list(stored_columns(OLD)) == ["age", "plan", "churned"]
    assert list(stored_columns(NEW)) == ["customer_id", "age", "plan", "churned"]
    plan_batch(MODEL, OLD, request(id_column="churned"), 1000)  # the target is there
    with pytest.raises(InvalidBatchRequest) as refused:
        plan_batch(MODEL, OLD, request(id_column="customer_id"), 1000)
    assert refused.value.location == ("body", "id_column")
    assert plan_batch(MODEL, NEW, request(id_column="customer_id"), 1000).read_columns == [
        "age",
        "plan",
        "customer_id",
    ]


def test_types_rows_and_gaps_are_checked() -> None:
    numeric_plan = {"input_schema": [{"name": "plan", "type": "numeric"}]}
    with pytest.raises(InvalidBatchRequest, match="'plan' is categorical; the model takes numeric"):
        plan_batch(numeric_plan, NEW, request(), 1000)
    with pytest.raises(InvalidBatchRequest, match="at most 599"):
        plan_batch(MODEL, NEW, request(), 599)
    before_pipelines = {"features": ["age"]}  # no imputation: gaps cannot be predicted
    with pytest.raises(InvalidBatchRequest, match="'age' has 3 missing values"):
        plan_batch(before_pipelines, NEW, request(), 1000)
