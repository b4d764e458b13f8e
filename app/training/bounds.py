"""Cost bounds on hyperparameters: what one request may make a worker do.

scikit-learn's own constraints say what a value may be (`n_estimators` is an int >= 1); they do
not say what the service will pay for. The numbers below are the service's: each bounded
hyperparameter drives the CPU time or memory of a fit (trees to grow, iterations to run, the
degree of a kernel, the kernel cache in MB). A value outside its bound is refused with a 422
naming the field and the bound. `HYPERPARAMETER_BOUNDS` (a JSON object in the environment)
overrides any of them per algorithm, e.g. `{"random_forest": {"n_estimators": {"maximum": 2000}}}`.

Plain data keyed by algorithm and hyperparameter name, with no scikit-learn import, so that
Settings can validate overrides and the catalogue of algorithms can grow beside it.
"""

from typing import Any

from app.training.exceptions import InvalidHyperparameter
from tensorfleet.schemas.bounds import Bound

# Owned by the service, never by a request: the worker sets the threads of each fit
# (FIT_THREADS) and logs what a job did; a request naming them is refused.
SERVICE_OWNED: dict[str, str] = {
    "n_jobs": "the worker decides how many threads each fit uses (FIT_THREADS)",
    "verbose": "the worker decides what a fit logs",
}


AlgorithmBounds = dict[str, Bound]


def _bounds(**limits: tuple[float | None, float | None]) -> AlgorithmBounds:
    return {name: Bound(minimum=low, maximum=high) for name, (low, high) in limits.items()}


# (minimum, maximum). Minimums exist where a small value buys work: a tolerance of 0 runs
# every iteration the maximum allows.
DEFAULT_BOUNDS: dict[str, AlgorithmBounds] = {
    "random_forest": _bounds(
        n_estimators=(None, 1000), max_depth=(None, 100), max_leaf_nodes=(None, 100_000)
    ),
    "logistic_regression": _bounds(max_iter=(None, 10_000), tol=(1e-8, None), C=(None, 1e6)),
    # max_iter=-1 (libsvm's default: until tol is met) stays allowed; tol's minimum and C's
    # maximum keep that search short, and JOB_TIMEOUT_SECONDS ends it in any case.
    "svm": _bounds(
        degree=(None, 10),
        cache_size=(None, 1024),
        max_iter=(None, 1_000_000),
        tol=(1e-8, None),
        C=(None, 1e6),
    ),
    "decision_tree": _bounds(max_depth=(None, 100), max_leaf_nodes=(None, 100_000)),
    "ridge": _bounds(max_iter=(None, 100_000), tol=(1e-8, None)),
    # Boosting rounds, leaves per tree and histogram bins drive its time and memory.
    "gradient_boosting": _bounds(
        max_iter=(None, 1000),
        max_leaf_nodes=(2, 10_000),
        max_depth=(None, 100),
        max_bins=(None, 255),
        tol=(1e-8, None),
    ),
}


def merged_bounds(overrides: dict[str, dict[str, Bound]]) -> dict[str, AlgorithmBounds]:
    """The defaults with HYPERPARAMETER_BOUNDS laid over them, one hyperparameter at a time."""
    merged = {name: dict(bounds) for name, bounds in DEFAULT_BOUNDS.items()}
    for algorithm, bounds in overrides.items():
        merged.setdefault(algorithm, {}).update(bounds)
    return merged


def check_override_names(overrides: dict[str, dict[str, Bound]]) -> None:
    """ValueError naming an override for a pair that has no default bound (likely a typo)."""
    for algorithm, bounds in overrides.items():
        known = DEFAULT_BOUNDS.get(algorithm)
        if known is None:
            raise ValueError(
                f"unknown algorithm {algorithm!r}; bounded: {', '.join(sorted(DEFAULT_BOUNDS))}"
            )
        for name in bounds:
            if name not in known:
                raise ValueError(
                    f"{algorithm} has no bound on {name!r}; bounded: {', '.join(sorted(known))}"
                )


def check_cost(
    algorithm: str, hyperparameters: dict[str, Any], bounds: dict[str, AlgorithmBounds]
) -> None:
    """InvalidHyperparameter naming the first service-owned name or value beyond its bound."""
    for name, value in hyperparameters.items():
        if name in SERVICE_OWNED:
            raise InvalidHyperparameter(
                name, f"{name} is set by the service, not by a request: {SERVICE_OWNED[name]}"
            )
        bound = bounds.get(algorithm, {}).get(name)
        if bound is not None and (violation := bound.violation(value)) is not None:
            raise InvalidHyperparameter(
                name,
                f"{name}={value!r} is beyond this service's bound for {algorithm}: it must be "
                f"{violation} (HYPERPARAMETER_BOUNDS)",
            )
