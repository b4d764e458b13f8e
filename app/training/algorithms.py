"""The supported algorithms, per task, and hyperparameter checking by scikit-learn's own
constraints.

An algorithm name maps to one estimator per task it supports (`svm` is SVC for classification,
SVR for regression), so a training request names the algorithm and the dataset decides the
estimator. `scaled` algorithms get standardised features inside the model's pipeline: SVMs and
linear models depend on feature scale (an unscaled SVM on Wine reaches 0.69 test accuracy).
"""

from dataclasses import dataclass
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import Hidden, InvalidParameterError, make_constraint

from app.training.exceptions import InvalidHyperparameter, UnsupportedTask
from app.training.tasks import Task


@dataclass(frozen=True, slots=True)
class Algorithm:
    name: str
    estimators: dict[Task, type[BaseEstimator]]
    description: str
    scaled: bool = False

    @property
    def tasks(self) -> list[Task]:
        return list(self.estimators)

    def estimator(self, task: Task) -> type[BaseEstimator]:
        """The estimator class for the task; UnsupportedTask names algorithms that fit it."""
        if task not in self.estimators:
            raise UnsupportedTask(self.name, task, algorithms_for(task))
        return self.estimators[task]

    def estimator_path(self, task: Task) -> str:
        estimator = self.estimator(task)
        return f"{estimator.__module__.split('._')[0]}.{estimator.__name__}"

    def defaults(self, task: Task) -> dict[str, Any]:
        return self.estimator(task)().get_params(deep=False)


ALGORITHMS: dict[str, Algorithm] = {
    algorithm.name: algorithm
    for algorithm in (
        Algorithm(
            "random_forest",
            {Task.classification: RandomForestClassifier, Task.regression: RandomForestRegressor},
            "Ensemble of decision trees; robust to overfitting.",
        ),
        Algorithm(
            "logistic_regression",
            {Task.classification: LogisticRegression},
            "Linear model; simple and interpretable classification.",
            scaled=True,
        ),
        Algorithm(
            "svm",
            {Task.classification: SVC, Task.regression: SVR},
            "Support vector machine; powerful for non-linear boundaries.",
            scaled=True,
        ),
        Algorithm(
            "decision_tree",
            {Task.classification: DecisionTreeClassifier, Task.regression: DecisionTreeRegressor},
            "A single tree; interpretable, handles non-linear data.",
        ),
        Algorithm(
            "ridge",
            {Task.regression: Ridge},
            "Linear regression with L2 regularisation; a fast, stable baseline.",
            scaled=True,
        ),
        Algorithm(
            "gradient_boosting",
            {
                Task.classification: HistGradientBoostingClassifier,
                Task.regression: HistGradientBoostingRegressor,
            },
            "Histogram gradient boosting; strong on tabular data, handles missing values.",
        ),
    )
}


def algorithms_for(task: Task) -> list[str]:
    return [name for name, algorithm in ALGORITHMS.items() if task in algorithm.estimators]


def takes_random_state(algorithm: Algorithm, task: Task) -> bool:
    return "random_state" in algorithm.defaults(task)


def _json_type(default: Any) -> str:
    if default is None:
        return "null"
    for python_type, name in (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (dict, "object"),
        (list, "array"),
    ):
        if isinstance(default, python_type):
            return name
    return type(default).__name__


def describe_constraints(estimator: type[BaseEstimator], parameter: str) -> list[str]:
    constraints = estimator._parameter_constraints.get(parameter, [])
    return [str(make_constraint(c)) for c in constraints if not isinstance(c, Hidden)]


def check_hyperparameters(
    algorithm: Algorithm, hyperparameters: dict[str, Any], task: Task = Task.classification
) -> None:
    """Raise InvalidHyperparameter naming the first unknown name or invalid value."""
    valid = algorithm.defaults(task)
    for name in hyperparameters:
        if name not in valid:
            raise InvalidHyperparameter(
                name,
                f"unknown hyperparameter {name!r} for {algorithm.name} ({task}); "
                f"valid names: {', '.join(sorted(valid))}",
            )
    estimator = algorithm.estimator(task)(**hyperparameters)
    try:
        estimator._validate_params()
    except InvalidParameterError as exc:
        raise InvalidHyperparameter(_offending(exc, hyperparameters), str(exc)) from None


def _offending(exc: InvalidParameterError, hyperparameters: dict[str, Any]) -> str:
    message = str(exc)
    for name in hyperparameters:
        if f"'{name}' parameter" in message:
            return name
    return next(iter(hyperparameters), "hyperparameters")


def hyperparameter_table(algorithm: Algorithm, task: Task) -> list[dict[str, Any]]:
    estimator = algorithm.estimator(task)
    return [
        {
            "name": name,
            "type": _json_type(default),
            "default": default if _json_type(default) in _JSON_TYPES else repr(default),
            "constraints": describe_constraints(estimator, name),
        }
        for name, default in algorithm.defaults(task).items()
    ]


_JSON_TYPES = {"null", "boolean", "integer", "number", "string", "object", "array"}
