"""The pure parts of training: parameter checks, the fit itself, JSON-safe values."""

import io
import math

import joblib
import numpy as np
import pytest

from app.datasets.samples import bundled_samples
from app.training.algorithms import ALGORITHMS, check_hyperparameters
from app.training.exceptions import InvalidHyperparameter, InvalidTrainingRequest
from app.training.fitting import (
    FitSpec,
    effective_hyperparameters,
    fit_and_evaluate,
    json_safe,
    split,
)
from app.training.service import check_split
from app.training.tasks import Task

IRIS = bundled_samples()["iris"][1]


def test_unknown_hyperparameter_names_the_valid_ones() -> None:
    with pytest.raises(InvalidHyperparameter) as caught:
        check_hyperparameters(ALGORITHMS["svm"], {"kernal": "rbf"}, Task.classification)
    assert caught.value.location == ("body", "hyperparameters", "kernal")
    assert "valid names:" in caught.value.message and "kernel" in caught.value.message


def test_invalid_value_uses_scikit_learns_words() -> None:
    with pytest.raises(InvalidHyperparameter) as caught:
        check_hyperparameters(ALGORITHMS["logistic_regression"], {"C": 0, "max_iter": 10})
    assert caught.value.location[-1] == "C"
    assert "must be a float in the range (0.0, inf]" in caught.value.message


def test_valid_hyperparameters_pass() -> None:
    check_hyperparameters(
        ALGORITHMS["random_forest"], {"n_estimators": 10, "max_depth": None, "criterion": "entropy"}
    )


def test_random_state_seeds_the_estimator_unless_given() -> None:
    assert effective_hyperparameters(FitSpec("svm", {}, 0.2, 7))["random_state"] == 7
    assert effective_hyperparameters(FitSpec("svm", {"random_state": 1}, 0.2, 7)) == {
        "random_state": 1
    }


def test_fit_reports_metrics_and_a_loadable_model() -> None:
    result = fit_and_evaluate(FitSpec("decision_tree", {"max_depth": 3}, 0.2, 42), IRIS.X, IRIS.y)
    metrics = result.metrics
    assert 0.8 <= metrics["test_accuracy"] <= 1.0 and 0.8 <= metrics["train_accuracy"] <= 1.0
    assert (metrics["n_train"], metrics["n_test"]) == (120, 30)
    rows = metrics["confusion_matrix"]
    assert [r["actual"] for r in rows] == result.classes == ["setosa", "versicolor", "virginica"]
    assert sum(sum(r["counts"]) for r in rows) == 30
    model = joblib.load(io.BytesIO(result.payload))
    assert model.named_steps["model"].get_params()["max_depth"] == 3
    assert set(model.predict(IRIS.X.iloc[:5])) <= set(result.classes)


def test_both_accuracies_are_those_of_the_returned_model_on_its_own_split() -> None:
    spec = FitSpec("logistic_regression", {"C": 0.05}, 0.3, 3)
    result = fit_and_evaluate(spec, IRIS.X, IRIS.y)
    model = joblib.load(io.BytesIO(result.payload))
    X_train, X_test, y_train, y_test = split(spec, IRIS.X, IRIS.y)
    assert result.metrics["train_accuracy"] == model.score(X_train, y_train)
    assert result.metrics["test_accuracy"] == model.score(X_test, y_test)
    assert result.metrics["train_accuracy"] != result.metrics["test_accuracy"]


def test_same_seed_same_predictions() -> None:
    spec = FitSpec("random_forest", {"n_estimators": 5}, 0.3, 11)
    first, second = (
        joblib.load(io.BytesIO(fit_and_evaluate(spec, IRIS.X, IRIS.y).payload)) for _ in range(2)
    )
    assert (first.predict_proba(IRIS.X) == second.predict_proba(IRIS.X)).all()


@pytest.mark.parametrize(("test_size", "ok"), [(0.2, True), (0.01, False), (0.99, False)])
def test_split_needs_every_class_on_both_sides(test_size: float, ok: bool) -> None:
    if ok:
        check_split(test_size, 150, 3)
    else:
        with pytest.raises(InvalidTrainingRequest):
            check_split(test_size, 150, 3)


def test_json_safe_turns_nan_and_numpy_into_plain_values() -> None:
    value = json_safe({"a": np.float64("nan"), "b": np.int64(3), "c": [math.inf, 1.5], 4: "x"})
    assert value == {"a": None, "b": 3, "c": [None, 1.5], "4": "x"}
