"""Importances, residual samples and linear baselines computed at training (pure, no services)."""

import io

import joblib
import numpy as np
import pytest

from app.explanations.training import RESIDUAL_SAMPLE, ImportanceOptions
from app.training.fitting import FitResult, FitSpec, fit_and_evaluate, split
from app.training.tasks import Task
from tests.explanations.tables import COLUMNS, decided_by_signal, level_decides

NAMES = [c["name"] for c in COLUMNS]


def fit(
    algorithm: str, task: Task, seconds: float = 10, cap: int = 100, rows: int = 400
) -> FitResult:
    X, y = decided_by_signal(rows) if task is Task.classification else level_decides(rows)
    options = ImportanceOptions(seconds=seconds, max_columns=cap, random_state=0)
    spec = FitSpec(algorithm, {}, 0.25, 0, task=task, columns=COLUMNS, importances=options)
    return fit_and_evaluate(spec, X, y)


@pytest.mark.parametrize("algorithm", ["random_forest", "logistic_regression", "decision_tree"])
def test_the_deciding_column_ranks_first_in_both_kinds(algorithm: str) -> None:
    importances = fit(algorithm, Task.classification).importances or {}
    permutation, own = importances["permutation"], importances["model"]["values"]
    assert permutation[0]["column"] == "signal" and permutation[0]["value"] > 0.3
    assert own[0]["column"] == "signal"
    # per original column: the one-hot columns of `signal` and `city` are summed
    assert sorted(row["column"] for row in permutation) == sorted(NAMES)
    assert sorted(row["column"] for row in own) == sorted(NAMES)
    assert importances["columns"] == 4 and importances["permutation_scoring"] == "accuracy"


def test_turned_off_keeps_the_estimator_s_own() -> None:
    importances = fit("random_forest", Task.classification, seconds=0).importances or {}
    assert importances["permutation"] is None
    assert importances["permutation_skipped"] == "turned off"
    assert importances["model"]["kind"] == "feature_importances"


def test_a_budget_too_small_for_one_pass_skips_it_and_says_why() -> None:
    importances = fit("random_forest", Task.classification, seconds=1e-9).importances or {}
    assert importances["permutation"] is None
    assert "exceeds" in importances["permutation_skipped"]


def test_only_the_most_important_columns_are_kept() -> None:
    importances = fit("random_forest", Task.classification, cap=2).importances or {}
    assert len(importances["permutation"]) == 2 and len(importances["model"]["values"]) == 2
    assert importances["columns"] == 4 and importances["permutation"][0]["column"] == "signal"


def test_a_regressor_keeps_a_bounded_residual_sample_and_its_quantiles() -> None:
    rows = 1200  # a test split of 300 rows: more than the sample keeps
    result = fit("ridge", Task.regression, rows=rows)
    sample = result.insights["residuals"]
    assert len(sample) == RESIDUAL_SAMPLE
    X, y = level_decides(rows)
    spec = FitSpec("ridge", {}, 0.25, 0, task=Task.regression, columns=COLUMNS)
    _, X_test, _, y_test = split(spec, X, y)
    predicted = joblib.load(io.BytesIO(result.payload)).predict(X_test)
    residual = y_test - predicted
    by_prediction = dict(zip(np.round(predicted, 9), np.round(residual, 9), strict=True))
    for point in sample:  # each point is a real (predicted, residual) pair of the test split
        assert by_prediction[round(point["predicted"], 9)] == pytest.approx(point["residual"])
    quantiles = result.metrics["residual_quantiles"]
    assert list(quantiles) == ["p05", "p25", "p50", "p75", "p95"]
    assert quantiles["p50"] == pytest.approx(np.median(residual))
    assert quantiles["p95"] == pytest.approx(np.quantile(residual, 0.95))
    assert (result.importances or {})["permutation"][0]["column"] == "level"
    assert (result.importances or {})["permutation_scoring"] == "r2"


def test_a_classifier_has_no_residuals() -> None:
    result = fit("random_forest", Task.classification)
    assert "residuals" not in result.insights and "residual_quantiles" not in result.metrics
