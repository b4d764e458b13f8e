"""What a predict request costs: the model's work once (labels derived from the probabilities
are exactly `predict`'s, for every classifier we train), no thread hop of the route's own, and a
small request to a cheap model on the event loop (bench/RESULTS.md, "Profile of the predict
path")."""

import contextlib
import inspect
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from app.config import Settings
from app.inference import estimators, service
from app.inference.cache import LoadedModel
from app.inference.columns import model_input
from app.routers import endpoints, inference
from app.training.algorithms import ALGORITHMS
from app.training.fitting import FitSpec, make_pipeline
from app.training.tasks import Task
from tests.tables import customers

CLASSIFIERS = sorted(name for name, a in ALGORITHMS.items() if Task.classification in a.estimators)
COLUMNS = [
    {"name": "age", "type": "numeric"},
    {"name": "plan", "type": "categorical"},
    {"name": "city", "type": "categorical"},
    {"name": "member", "type": "boolean"},
]
# Small forests and shallow trees, so that equal votes (ties in the probabilities) occur.
SETTINGS: dict[str, list[dict[str, Any]]] = {
    "random_forest": [{"n_estimators": 2}, {"n_estimators": 25}],
    "decision_tree": [{"max_depth": 2}, {}],
    "svm": [{"probability": True}],  # deprecated in scikit-learn 1.9, still accepted
}
OLD_SVM = pytest.mark.filterwarnings("ignore:The `probability` parameter:FutureWarning")


def fitted(algorithm: str, hyperparameters: dict[str, Any], target: str) -> tuple[Pipeline, Any]:
    table = customers(300)
    X = table[[c["name"] for c in COLUMNS]].copy()
    for name in ("plan", "city", "member"):
        X[name] = X[name].astype(object).where(X[name].notna(), np.nan)
    y = table[target].to_numpy() if target == "churned" else (table["spend"] // 25).astype(str)
    spec = FitSpec(algorithm, hyperparameters, 0.2, 0, columns=COLUMNS)
    return make_pipeline(spec, X).fit(X, y), X


@pytest.mark.parametrize("target", ["churned", "spend band"])  # two classes, then several
@pytest.mark.parametrize(
    ("algorithm", "hyperparameters"),
    [
        pytest.param(a, h, marks=[OLD_SVM] if a == "svm" else [])
        for a in CLASSIFIERS
        for h in SETTINGS.get(a, [{}])
    ],
)
def test_labels_with_probabilities_are_predicts(
    algorithm: str, hyperparameters: dict[str, Any], target: str
) -> None:
    model, X = fitted(algorithm, hyperparameters, target)
    labels, proba = estimators.predict(model, X, probabilities=True)
    assert labels.tolist() == model.predict(X).tolist()
    assert proba is not None and np.array_equal(proba, model.predict_proba(X))


@contextlib.contextmanager
def counted(model: Pipeline) -> Iterator[tuple[mock.MagicMock, mock.MagicMock]]:
    """The final estimator's predict and predict_proba, counting their calls."""
    final = model[-1]
    with (
        mock.patch.object(final, "predict", wraps=final.predict) as predict,
        mock.patch.object(final, "predict_proba", wraps=final.predict_proba) as predict_proba,
    ):
        yield predict, predict_proba


def test_a_forest_asked_for_probabilities_runs_its_trees_once() -> None:
    model, X = fitted("random_forest", {"n_estimators": 10}, "churned")
    with counted(model) as (predict, predict_proba):
        estimators.predict(model, X, probabilities=True)
        assert (predict.call_count, predict_proba.call_count) == (0, 1)
        estimators.predict(model, X, probabilities=False)  # the forest's predict: its proba
        assert (predict.call_count, predict_proba.call_count) == (1, 2)


def test_a_model_whose_predict_is_not_the_argmax_still_calls_both() -> None:
    model, X = fitted("logistic_regression", {}, "churned")
    with counted(model) as (predict, predict_proba):
        estimators.predict(model, X, probabilities=True)
        assert (predict.call_count, predict_proba.call_count) == (1, 1)


def _calls(dependant: Any) -> list[Any]:
    return [dependant.call, *(c for d in dependant.dependencies for c in _calls(d))]


def test_predict_routes_resolve_their_dependencies_on_the_event_loop() -> None:
    """A plain `def` dependency runs in FastAPI's thread pool: a thread hop per request."""
    routes = [r for r in inference.router.routes + endpoints.router.routes if "predict" in r.path]
    assert len(routes) >= 5
    for route in routes:
        for call in filter(None, _calls(route.dependant)):
            target = call if inspect.isfunction(call) else type(call).__call__
            assert inspect.iscoroutinefunction(target), (route.path, call)


class Waiting:
    """A model whose predict waits (as for the GIL or a busy machine) without computing."""

    def predict(self, X: Any) -> np.ndarray:
        time.sleep(0.05)
        return np.zeros(len(X))


def test_a_model_slow_only_from_waiting_still_predicts_inline() -> None:
    settings = Settings(_env_file=None)
    model = LoadedModel("m", {"task": "regression"}, Waiting(), 1, model_input({}))
    assert not service.runs_inline(settings, model, rows=1)  # never called yet: a thread
    service.run_model(model, np.zeros((1, 1)), probabilities=False)
    assert model.predict_seconds is not None and model.predict_seconds * 1000 < 20
    assert service.runs_inline(settings, model, rows=1)
    assert not service.runs_inline(settings, model, rows=settings.predict_inline_max_rows + 1)
