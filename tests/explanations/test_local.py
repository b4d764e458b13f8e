"""Per-row contributions (pure): base value plus contributions is the model's output exactly,
one contribution per original column, and the deciding column carries the prediction."""

import io
from typing import Any

import joblib
import numpy as np
import pytest

from app.explanations.local import NotExplainable, explain_rows, explainer_for
from app.explanations.training import ImportanceOptions
from app.training.fitting import FitSpec, fit_and_evaluate
from app.training.tasks import Task
from tests.explanations.tables import COLUMNS, decided_by_signal, level_decides

NAMES = [c["name"] for c in COLUMNS]


def trained(algorithm: str, task: Task) -> tuple[Any, dict[str, Any], Any]:
    X, y = decided_by_signal() if task is Task.classification else level_decides()
    spec = FitSpec(
        algorithm, {}, 0.25, 0, task=task, columns=COLUMNS, importances=ImportanceOptions()
    )
    result = fit_and_evaluate(spec, X, y)
    return joblib.load(io.BytesIO(result.payload)), result.insights, X.iloc[:20]


def explained_total(rows: list[dict[str, Any]]) -> np.ndarray:
    return np.array([row["base"] + sum(row["contributions"].values()) for row in rows])


def chosen(model: Any, X: Any, scores: np.ndarray) -> np.ndarray:
    """Each row's score of its predicted class."""
    predicted = model.predict(X)
    return scores[np.arange(len(X)), [list(model.classes_).index(p) for p in predicted]]


@pytest.mark.parametrize("algorithm", ["random_forest", "decision_tree"])
def test_tree_contributions_add_up_to_the_predicted_class_probability(algorithm: str) -> None:
    model, insights, X = trained(algorithm, Task.classification)
    predicted = [str(p) for p in model.predict(X)]
    rows = explain_rows(
        explainer_for(model, NAMES, insights["linear_baseline"]), model, X, predicted
    )
    assert explained_total(rows) == pytest.approx(chosen(model, X, model.predict_proba(X)))
    assert [row["explained"] for row in rows] == predicted
    assert all(list(row["contributions"]) == NAMES for row in rows)
    for row in rows:  # the deciding column moves the prediction most
        shares = row["contributions"]
        assert max(shares, key=lambda name: abs(shares[name])) == "signal"


def test_linear_contributions_add_up_to_the_log_odds_of_the_predicted_class() -> None:
    model, insights, X = trained("logistic_regression", Task.classification)
    predicted = [str(p) for p in model.predict(X)]
    rows = explain_rows(
        explainer_for(model, NAMES, insights["linear_baseline"]), model, X, predicted
    )
    margin = model.decision_function(X)  # binary: the second class's log-odds
    second = np.array(predicted) == str(model.classes_[1])
    assert explained_total(rows) == pytest.approx(np.where(second, margin, -margin))
    assert all(row["contributions"]["signal"] > 0 for row in rows)  # it argues for the answer


@pytest.mark.parametrize("algorithm", ["ridge", "random_forest"])
def test_regression_contributions_add_up_to_the_prediction(algorithm: str) -> None:
    model, insights, X = trained(algorithm, Task.regression)
    predicted = model.predict(X)
    rows = explain_rows(
        explainer_for(model, NAMES, insights["linear_baseline"]), model, X, list(predicted)
    )
    assert explained_total(rows) == pytest.approx(predicted)
    assert all(row["explained"] is None for row in rows)
    level = np.array([row["contributions"]["level"] for row in rows])
    assert np.corrcoef(level, X["level"])[0, 1] > 0.95  # the deciding column carries it


def test_a_linear_model_without_its_baseline_and_an_svm_are_refused_with_the_reason() -> None:
    model, _, _ = trained("logistic_regression", Task.classification)
    with pytest.raises(NotExplainable, match="before explanations"):
        explainer_for(model, NAMES, None)
    svm, insights, _ = trained("svm", Task.classification)
    with pytest.raises(
        NotExplainable, match="tree, boosting and linear models; this model is a SVC"
    ):
        explainer_for(svm, NAMES, insights["linear_baseline"])


def with_gaps(X: Any) -> Any:
    """Missing numbers and categories, and a category the model never saw."""
    X = X.copy()
    X.loc[X.index[::3], "level"] = np.nan
    X.loc[X.index[1::4], "signal"] = np.nan
    X.loc[X.index[2::5], "city"] = "Nowhere"
    return X


def test_boosting_contributions_add_up_to_the_raw_score_with_categories_and_gaps() -> None:
    model, insights, X = trained("gradient_boosting", Task.classification)
    X = with_gaps(X)
    predicted = [str(p) for p in model.predict(X)]
    explainer = explainer_for(model, NAMES, insights["linear_baseline"])
    rows = explain_rows(explainer, model, X, predicted)
    assert explainer.method == "boosting_path"
    margin = model.decision_function(X)  # binary: the second class's log-odds
    second = np.array(predicted) == str(model.classes_[1])
    assert explained_total(rows) == pytest.approx(np.where(second, margin, -margin))


def test_boosting_contributions_on_more_classes_and_a_regressor() -> None:
    X, y = decided_by_signal()
    y = np.where(X["level"] > 6, "high", y)  # three classes
    spec = FitSpec("gradient_boosting", {}, 0.25, 0, task=Task.classification, columns=COLUMNS)
    model = joblib.load(io.BytesIO(fit_and_evaluate(spec, X, y).payload))
    rows_in = with_gaps(X.iloc[:30])
    predicted = [str(p) for p in model.predict(rows_in)]
    rows = explain_rows(explainer_for(model, NAMES, None), model, rows_in, predicted)
    assert explained_total(rows) == pytest.approx(
        chosen(model, rows_in, model.decision_function(rows_in))
    )
    regressor, _, X = trained("gradient_boosting", Task.regression)
    X = with_gaps(X)
    rows = explain_rows(
        explainer_for(regressor, NAMES, None), regressor, X, list(regressor.predict(X))
    )
    assert explained_total(rows) == pytest.approx(regressor.predict(X))
