"""Every model is a Pipeline that takes raw rows; metrics fit the task (pure, no services)."""

import io
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from app.datasets.samples import bundled_samples
from app.training.algorithms import ALGORITHMS, algorithms_for
from app.training.exceptions import UnsupportedTask
from app.training.fitting import FitResult, FitSpec, fit_and_evaluate, split
from app.training.pipeline import Preprocessing
from app.training.tasks import Task
from tests.tables import breast_cancer, customers, diabetes

WINE = bundled_samples()["wine"][1]
CUSTOMER_COLUMNS = [
    {"name": "age", "type": "numeric"},
    {"name": "plan", "type": "categorical"},
    {"name": "city", "type": "categorical"},
    {"name": "member", "type": "boolean"},
]


def fit_customers(algorithm: str, task: Task, **options: Any) -> FitResult:
    table = customers()
    target = "churned" if task is Task.classification else "spend"
    spec = FitSpec(algorithm, {}, 0.25, 0, task=task, columns=CUSTOMER_COLUMNS, **options)
    return fit_and_evaluate(spec, table[[c["name"] for c in CUSTOMER_COLUMNS]], table[target])


def load(result: FitResult):
    return joblib.load(io.BytesIO(result.payload))


def test_scaling_inside_the_model_makes_svm_good_on_wine() -> None:
    scaled = fit_and_evaluate(FitSpec("svm", {}, 0.2, 42), WINE.X, WINE.y)
    unscaled = fit_and_evaluate(
        FitSpec("svm", {}, 0.2, 42, preprocessing=Preprocessing(scaling=False)), WINE.X, WINE.y
    )
    assert scaled.metrics["test_accuracy"] >= 0.9 > 0.8 > unscaled.metrics["test_accuracy"]
    assert (
        "scale" in load(scaled).named_steps["preprocess"].named_transformers_["numeric"].named_steps
    )


def test_logistic_regression_on_wine_converges() -> None:
    result = fit_and_evaluate(FitSpec("logistic_regression", {}, 0.2, 42), WINE.X, WINE.y)
    assert not [w for w in result.warnings if "Convergence" in w]
    assert result.metrics["test_accuracy"] >= 0.9


def test_binary_classification_reports_roc_auc_of_the_stored_model() -> None:
    table = breast_cancer()
    X, y = table.drop(columns="diagnosis"), table["diagnosis"].to_numpy()
    spec = FitSpec("logistic_regression", {}, 0.25, 1)
    result = fit_and_evaluate(spec, X, y)
    model = load(result)
    _, X_test, _, y_test = split(spec, X, y)
    malignant = list(model.classes_).index("malignant")
    expected = roc_auc_score(y_test == "malignant", model.predict_proba(X_test)[:, malignant])
    assert result.metrics["roc_auc"] == pytest.approx(expected) and expected > 0.95
    assert result.classes == ["benign", "malignant"]


def test_no_roc_auc_without_probabilities() -> None:
    assert fit_and_evaluate(FitSpec("svm", {}, 0.2, 42), WINE.X, WINE.y).metrics["roc_auc"] is None


@pytest.mark.parametrize("algorithm", algorithms_for(Task.regression))
def test_regression_reports_r2_mae_rmse_and_no_accuracy(algorithm: str) -> None:
    table = diabetes()
    X, y = table.drop(columns="progression"), table["progression"].to_numpy()
    spec = FitSpec(algorithm, {}, 0.2, 3, task=Task.regression)
    result = fit_and_evaluate(spec, X, y)
    metrics, model = result.metrics, load(result)
    _, X_test, _, y_test = split(spec, X, y)
    residuals = model.predict(X_test) - y_test
    assert metrics["rmse"] == pytest.approx(float(np.sqrt(np.mean(residuals**2))))
    assert metrics["mae"] == pytest.approx(float(np.mean(np.abs(residuals))))
    assert metrics["test_r2"] == pytest.approx(model.score(X_test, y_test))
    assert metrics["test_accuracy"] is None and result.classes == []
    assert "confusion_matrix" not in metrics


def test_logistic_regression_refuses_regression_naming_regressors() -> None:
    with pytest.raises(UnsupportedTask) as caught:
        ALGORITHMS["logistic_regression"].estimator(Task.regression)
    assert caught.value.location == ("body", "algorithm")
    assert (
        "ridge" in caught.value.message and "logistic_regression" not in caught.value.message[20:]
    )


@pytest.mark.parametrize("algorithm", algorithms_for(Task.classification))
def test_a_model_takes_raw_rows_with_missing_values_and_unseen_categories(algorithm: str) -> None:
    result = fit_customers(algorithm, Task.classification)
    raw = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],  # not a feature: ignored
            "age": [30.0, np.nan, 61.5],
            "plan": ["basic", "enterprise", np.nan],  # unseen and missing
            "city": [np.nan, "Oslo", "Reykjavik"],
            "member": [True, False, True],
        }
    )
    assert set(load(result).predict(raw)) <= {"yes", "no"}
    assert result.metrics["test_accuracy"] >= 0.8


def test_input_schema_records_columns_types_and_categories_seen() -> None:
    schema = fit_customers("random_forest", Task.regression).input_schema
    assert schema == [
        {"name": "age", "type": "numeric"},
        {"name": "plan", "type": "categorical", "categories": ["basic", "plus", "pro"]},
        {"name": "city", "type": "categorical", "categories": ["Lyon", "Oslo", "Porto", "Turin"]},
        {"name": "member", "type": "boolean", "categories": ["False", "True"]},
    ]


def test_gradient_boosting_treats_categories_natively() -> None:
    result = fit_customers("gradient_boosting", Task.regression)
    model = load(result)
    assert list(model.named_steps["model"].is_categorical_) == [False, True, True, True]
    assert result.metrics["test_r2"] > 0.8


def test_imputation_strategy_is_the_requested_one() -> None:
    result = fit_customers("ridge", Task.regression, preprocessing=Preprocessing("median"))
    imputer = load(result).named_steps["preprocess"].named_transformers_["numeric"]["impute"]
    spec = FitSpec("ridge", {}, 0.25, 0, task=Task.regression)
    X_train, *_ = split(spec, customers(), customers()["spend"])
    assert imputer.strategy == "median"
    assert imputer.statistics_[0] == pytest.approx(X_train["age"].median())


@pytest.mark.parametrize("task", list(Task))
def test_cross_validation_reports_mean_and_std_per_metric(task: Task) -> None:
    metrics = fit_customers("decision_tree", task, cv=4).metrics
    assert metrics["cv"]["folds"] == 4
    names = {"accuracy", "f1_macro"} if task is Task.classification else {"r2", "mae", "rmse"}
    assert set(metrics["cv"]) == names | {"folds"}
    for name in names:
        assert 0 <= metrics["cv"][name]["std"] < abs(metrics["cv"][name]["mean"])


def _arrays_in_arrays(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_arrays_in_arrays(v) for v in value.values())
    if isinstance(value, list):
        return any(isinstance(v, list) or _arrays_in_arrays(v) for v in value)
    return False


def test_what_is_stored_has_no_nested_arrays() -> None:
    result = fit_customers("gradient_boosting", Task.classification, cv=3)
    for stored in (result.metrics, result.hyperparameters, result.input_schema):
        assert not _arrays_in_arrays(stored)
