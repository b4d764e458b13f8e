"""Search spaces: the default one per algorithm and task, the checks on a requested one, and
their translation into Optuna distributions and grid values.

A space is plain data, `{name: {"type": "int" | "float" | "categorical", ...}}`, as the request
carries it and the tuning job stores it. The defaults stay inside the cost bounds
(app/training/bounds.py) and scikit-learn's constraints, and keep a trial near a second on a
mid-sized table: a test proves both.
"""

from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from app.training.algorithms import ALGORITHMS, check_hyperparameters
from app.training.bounds import SERVICE_OWNED, AlgorithmBounds, check_cost
from app.training.exceptions import InvalidHyperparameter, InvalidTrainingRequest
from app.training.tasks import Task

Space = dict[str, dict[str, Any]]
GRID_VALUES = 5  # values a range contributes to a grid


def _int(low: int, high: int, log: bool = False) -> dict[str, Any]:
    return {"type": "int", "low": low, "high": high, "log": log, "step": 1}


def _float(low: float, high: float, log: bool = False) -> dict[str, Any]:
    return {"type": "float", "low": low, "high": high, "log": log}


def _choices(*values: Any) -> dict[str, Any]:
    return {"type": "categorical", "choices": list(values)}


def _every_task(space: Space) -> dict[Task, Space]:
    return {task: dict(space) for task in Task}


_TREE = {"max_depth": _int(2, 32, log=True), "min_samples_leaf": _int(1, 20, log=True)}
DEFAULT_SPACES: dict[str, dict[Task, Space]] = {
    "random_forest": _every_task(
        {"n_estimators": _int(10, 300, log=True), **_TREE, "max_features": _choices("sqrt", 1.0)},
    ),
    "logistic_regression": {Task.classification: {"C": _float(1e-3, 1e3, log=True)}},
    "svm": _every_task({"C": _float(1e-2, 1e3, log=True), "gamma": _float(1e-4, 1.0, log=True)}),
    "decision_tree": {
        Task.classification: {**_TREE, "criterion": _choices("gini", "entropy")},
        Task.regression: {**_TREE, "max_features": _choices(1.0, "sqrt")},
    },
    "ridge": {Task.regression: {"alpha": _float(1e-3, 1e3, log=True)}},
    "gradient_boosting": _every_task(
        {
            "learning_rate": _float(0.01, 0.3, log=True),
            "max_iter": _int(20, 300, log=True),
            "max_leaf_nodes": _int(8, 64, log=True),
            "l2_regularization": _float(1e-6, 10.0, log=True),
        },
    ),
}


def default_space(algorithm: str, task: Task) -> Space:
    return {name: dict(dimension) for name, dimension in DEFAULT_SPACES[algorithm][task].items()}


def check_space(
    algorithm: str, task: Task, space: Space, bounds: dict[str, AlgorithmBounds]
) -> None:
    """InvalidTrainingRequest naming the first dimension that is unknown, empty, inverted,
    on a log scale through zero, or with a value scikit-learn or the cost bounds refuse."""
    known = ALGORITHMS[algorithm].defaults(task)
    for name, dimension in space.items():
        where = ("body", "space", name)
        if name not in known or name in SERVICE_OWNED:
            valid = ", ".join(sorted(set(known) - set(SERVICE_OWNED)))
            raise InvalidTrainingRequest(
                where, f"unknown hyperparameter {name!r} for {algorithm} ({task}); valid: {valid}"
            )
        if dimension["type"] != "categorical":
            _check_range(where, dimension)
        for value in dimension_values(dimension):
            _check_value(algorithm, task, name, value, bounds, where)


def _check_range(where: tuple[str, ...], dimension: dict[str, Any]) -> None:
    low, high = dimension["low"], dimension["high"]
    if low >= high:
        problem = "is empty" if low == high else "is inverted"
        raise InvalidTrainingRequest(
            (*where, "high"),
            f"the range {low}..{high} {problem}: high must be above low (a single value is "
            "a categorical dimension with one choice)",
        )
    if dimension.get("log") and low <= 0:
        raise InvalidTrainingRequest(
            (*where, "low"), f"a log range must lie above zero; low is {low}"
        )


def dimension_values(dimension: dict[str, Any]) -> list[Any]:
    """The values whose validity decides the dimension's: a range's two ends, every choice."""
    if dimension["type"] == "categorical":
        return list(dimension["choices"])
    return [dimension["low"], dimension["high"]]


def _check_value(
    algorithm: str,
    task: Task,
    name: str,
    value: Any,
    bounds: dict[str, AlgorithmBounds],
    where: tuple[str, ...],
) -> None:
    try:
        check_cost(algorithm, {name: value}, bounds)
        check_hyperparameters(ALGORITHMS[algorithm], {name: value}, task)
    except InvalidHyperparameter as exc:
        raise InvalidTrainingRequest(where, f"{value!r}: {exc.message}") from None


def distribution(dimension: dict[str, Any]) -> BaseDistribution:
    """The dimension as Optuna's distribution."""
    if dimension["type"] == "int":
        step = 1 if dimension.get("log") else dimension.get("step", 1)
        return IntDistribution(dimension["low"], dimension["high"], log=dimension["log"], step=step)
    if dimension["type"] == "float":
        return FloatDistribution(dimension["low"], dimension["high"], log=dimension["log"])
    return CategoricalDistribution(dimension["choices"])


def grid_values(dimension: dict[str, Any]) -> list[Any]:
    """A range as at most GRID_VALUES evenly spaced values (geometrically on a log scale)."""
    if dimension["type"] == "categorical":
        return list(dimension["choices"])
    low, high, log = dimension["low"], dimension["high"], dimension.get("log", False)
    fractions = [i / (GRID_VALUES - 1) for i in range(GRID_VALUES)]
    points = [low * (high / low) ** f if log else low + (high - low) * f for f in fractions]
    if dimension["type"] == "float":
        return [float(f"{p:.6g}") for p in points]
    step = dimension.get("step", 1)
    return sorted({min(high, low + step * round((p - low) / step)) for p in points})
