"""Evaluation metrics agree with scikit-learn's own functions on the same predictions, and
thresholds pass or fail with a reason each (pure, no services)."""

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.preprocessing import label_binarize

from app.evaluation.metrics import evaluation_metrics
from app.evaluation.thresholds import judge
from tests.tables import breast_cancer, diabetes


def halves(frame: pd.DataFrame, target: str) -> tuple[Any, ...]:
    train, test = frame.iloc[::2], frame.iloc[1::2]
    return (
        train.drop(columns=target),
        train[target].to_numpy(),
        test.drop(columns=target),
        test[target].to_numpy(),
    )


def test_binary_metrics_are_scikit_learn_s() -> None:
    X, y, X_test, y_test = halves(breast_cancer(), "diagnosis")
    model = LogisticRegression(max_iter=5000).fit(X, y)
    metrics = evaluation_metrics("classification", model, X_test, y_test)
    predicted, proba = model.predict(X_test), model.predict_proba(X_test)[:, 1]
    positive = y_test == model.classes_[1]
    assert metrics["n"] == len(y_test)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y_test, predicted))
    assert metrics["f1_macro"] == pytest.approx(f1_score(y_test, predicted, average="macro"))
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(positive, proba))
    assert metrics["pr_auc"] == pytest.approx(average_precision_score(positive, proba))
    assert metrics["log_loss"] == pytest.approx(log_loss(y_test, model.predict_proba(X_test)))
    counts = confusion_matrix(y_test, predicted, labels=model.classes_)
    assert [row["counts"] for row in metrics["confusion_matrix"]] == counts.tolist()
    observed, mean_predicted = calibration_curve(positive, proba, n_bins=10)
    filled = [b for b in metrics["calibration"] if b["count"]]
    assert [b["observed"] for b in filled] == pytest.approx(observed.tolist())
    assert [b["mean_predicted"] for b in filled] == pytest.approx(mean_predicted.tolist())
    assert sum(b["count"] for b in metrics["calibration"]) == len(y_test)


def test_multiclass_metrics_are_scikit_learn_s_one_vs_rest() -> None:
    wine = load_wine(as_frame=True)
    frame = wine.frame.assign(target=np.asarray(wine.target_names)[wine.target])
    X, y, X_test, y_test = halves(frame, "target")
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    metrics = evaluation_metrics("classification", model, X_test, y_test)
    predicted, proba = model.predict(X_test), model.predict_proba(X_test)
    classes = list(model.classes_)
    assert metrics["roc_auc"] == pytest.approx(
        roc_auc_score(y_test, proba, multi_class="ovr", labels=classes)
    )
    assert metrics["pr_auc"] == pytest.approx(
        average_precision_score(label_binarize(y_test, classes=classes), proba, average="macro")
    )
    precision, recall, f1, support = precision_recall_fscore_support(y_test, predicted)
    per_class = metrics["per_class"]
    assert [row["class"] for row in per_class] == classes
    assert [row["precision"] for row in per_class] == pytest.approx(precision.tolist())
    assert [row["recall"] for row in per_class] == pytest.approx(recall.tolist())
    assert [row["f1"] for row in per_class] == pytest.approx(f1.tolist())
    assert [row["support"] for row in per_class] == support.tolist()
    one_vs_rest = [roc_auc_score(y_test == c, proba[:, i]) for i, c in enumerate(classes)]
    assert [row["roc_auc"] for row in per_class] == pytest.approx(one_vs_rest)
    right = predicted == y_test
    assert sum(b["observed"] * b["count"] for b in metrics["calibration"] if b["count"]) == (
        pytest.approx(right.sum())
    )


def test_regression_metrics_are_scikit_learn_s() -> None:
    X, y, X_test, y_test = halves(diabetes(), "progression")
    model = Ridge().fit(X, y)
    metrics = evaluation_metrics("regression", model, X_test, y_test)
    predicted = model.predict(X_test)
    assert metrics["r2"] == pytest.approx(r2_score(y_test, predicted))
    assert metrics["mae"] == pytest.approx(mean_absolute_error(y_test, predicted))
    assert metrics["rmse"] == pytest.approx(root_mean_squared_error(y_test, predicted))
    residual = y_test - predicted
    assert metrics["residual_quantiles"]["p50"] == pytest.approx(np.median(residual))
    assert metrics["accuracy"] is None if "accuracy" in metrics else True


def test_a_class_missing_from_the_rows_gives_null_aucs_not_an_error() -> None:
    X, y, X_test, y_test = halves(breast_cancer(), "diagnosis")
    model = LogisticRegression(max_iter=5000).fit(X, y)
    only_benign = y_test == "benign"
    metrics = evaluation_metrics("classification", model, X_test[only_benign], y_test[only_benign])
    assert metrics["roc_auc"] is None and metrics["accuracy"] > 0.5


def test_thresholds_pass_fail_and_say_why() -> None:
    metrics = {"accuracy": 0.93, "rmse": None, "log_loss": 0.4}
    passed, reasons = judge(metrics, [{"metric": "accuracy", "min": 0.9, "max": None}])
    assert passed and reasons == ["accuracy 0.93 ≥ 0.9: met"]
    passed, reasons = judge(
        metrics,
        [
            {"metric": "accuracy", "min": 0.95, "max": None},
            {"metric": "log_loss", "min": None, "max": 0.5},
        ],
    )
    assert not passed
    assert reasons == ["accuracy 0.93 is below the minimum 0.95", "log_loss 0.4 ≤ 0.5: met"]
    passed, reasons = judge(metrics, [{"metric": "rmse", "min": None, "max": 3}])
    assert not passed and reasons == ["rmse could not be computed on this dataset"]
    assert judge(metrics, []) == (True, [])
