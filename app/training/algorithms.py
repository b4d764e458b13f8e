"""The supported algorithms, and hyperparameter checking by scikit-learn's own constraints."""

from dataclasses import dataclass
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import Hidden, InvalidParameterError, make_constraint

from app.training.exceptions import InvalidHyperparameter


@dataclass(frozen=True, slots=True)
class Algorithm:
    name: str
    estimator: type[BaseEstimator]
    description: str

    @property
    def estimator_path(self) -> str:
        return f"{self.estimator.__module__.split('._')[0]}.{self.estimator.__name__}"

    def defaults(self) -> dict[str, Any]:
        return self.estimator().get_params(deep=False)


ALGORITHMS: dict[str, Algorithm] = {
    algorithm.name: algorithm
    for algorithm in (
        Algorithm(
            "random_forest",
            RandomForestClassifier,
            "Ensemble of decision trees; robust to overfitting.",
        ),
        Algorithm(
            "logistic_regression",
            LogisticRegression,
            "Linear model; simple and interpretable classification.",
        ),
        Algorithm("svm", SVC, "Support vector classifier; powerful for non-linear boundaries."),
        Algorithm(
            "decision_tree",
            DecisionTreeClassifier,
            "A single tree; interpretable, handles non-linear data.",
        ),
    )
}


def takes_random_state(algorithm: Algorithm) -> bool:
    return "random_state" in algorithm.defaults()


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


def describe_constraints(algorithm: Algorithm, parameter: str) -> list[str]:
    constraints = algorithm.estimator._parameter_constraints.get(parameter, [])
    return [str(make_constraint(c)) for c in constraints if not isinstance(c, Hidden)]


def check_hyperparameters(algorithm: Algorithm, hyperparameters: dict[str, Any]) -> None:
    """Raise InvalidHyperparameter naming the first unknown name or invalid value."""
    valid = algorithm.defaults()
    for name in hyperparameters:
        if name not in valid:
            raise InvalidHyperparameter(
                name,
                f"unknown hyperparameter {name!r} for {algorithm.name}; "
                f"valid names: {', '.join(sorted(valid))}",
            )
    estimator = algorithm.estimator(**hyperparameters)
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


def hyperparameter_table(algorithm: Algorithm) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "type": _json_type(default),
            "default": default if _json_type(default) in _JSON_TYPES else repr(default),
            "constraints": describe_constraints(algorithm, name),
        }
        for name, default in algorithm.defaults().items()
    ]


_JSON_TYPES = {"null", "boolean", "integer", "number", "string", "object", "array"}
