"""One trial: k-fold cross-validation of one configuration on the training split, stopping early
when Optuna's MedianPruner says the trial is behind. A pure function with no I/O, run in a
worker's fit pool (killable, memory-capped) like a training fit.

Pruning works on the folds: after each fold the trial reports its running mean, and the pruner
compares it with the median of the finished trials' running means at that fold. Those are
handed in (`history`) by the trial job, read from the store when the trial starts, so the
pruner sees the search as it stood then.

A configuration scikit-learn refuses (an invalid combination, a fit that raises) ends the trial
`failed` with scikit-learn's message; only running out of memory escapes, so that the fit
process reports it as such (FitMemoryExceeded).

The one state kept between calls: the training split of the last dataset a trial read in this
process (`training_split`), as a search's trials follow each other in a fit process.
"""

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import create_trial
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold

from app.training.fitting import FitSpec, make_pipeline, split, training_frame
from app.training.tasks import Task
from app.tuning.metrics import METRICS

optuna.logging.set_verbosity(optuna.logging.WARNING)


@dataclass(frozen=True, slots=True)
class TrialSpec:
    fit: FitSpec  # the algorithm, the trial's params as hyperparameters, the split's seed
    metric: str
    folds: int
    prune: bool = True
    history: list[list[float]] = field(default_factory=list)  # finished trials' running means
    data_key: str | None = None  # names the payload (its file id): its split may be reused


@dataclass(slots=True)
class TrialOutcome:
    state: str  # complete, pruned or failed (cancelled: stopped by the time budget)
    fold_scores: list[float] = field(default_factory=list)
    intermediate: list[float] = field(default_factory=list)  # running means, fold by fold
    fit_seconds: float = 0.0
    cv_seconds: float = 0.0  # the whole trial in the fit process: reading, splitting, folds
    error: str | None = None

    @property
    def score(self) -> float | None:
        return self.intermediate[-1] if self.intermediate else None


def pruning_trial(spec: TrialSpec) -> optuna.Trial:
    """A trial of a study holding the finished trials' running means, to ask the pruner."""
    direction = METRICS[spec.metric].direction
    study = optuna.create_study(direction=direction, pruner=optuna.pruners.MedianPruner())
    study.add_trials(
        [
            create_trial(
                state=optuna.trial.TrialState.COMPLETE,
                value=means[-1],
                intermediate_values=dict(enumerate(means)),
            )
            for means in spec.history
            if means
        ]
    )
    return study.ask()


def folds(spec: TrialSpec, X: pd.DataFrame, y: np.ndarray) -> Any:
    splitter = StratifiedKFold if spec.fit.task is Task.classification else KFold
    return splitter(n_splits=spec.folds, shuffle=True, random_state=spec.fit.random_state).split(
        X, y
    )


def cross_validate_with_pruning(
    spec: TrialSpec, X: pd.DataFrame, y: np.ndarray, outcome: TrialOutcome
) -> None:
    """Fill `outcome` fold by fold; a pruned trial keeps the folds it ran."""
    model, metric = make_pipeline(spec.fit, X), METRICS[spec.metric]
    scorer, trial = get_scorer(metric.scorer), pruning_trial(spec)
    for step, (train, test) in enumerate(folds(spec, X, y)):
        started = time.perf_counter()
        fitted = clone(model).fit(X.iloc[train], y[train])
        outcome.fit_seconds += time.perf_counter() - started
        outcome.fold_scores.append(metric.sign * float(scorer(fitted, X.iloc[test], y[test])))
        outcome.intermediate.append(float(np.mean(outcome.fold_scores)))
        trial.report(outcome.intermediate[-1], step)
        if spec.prune and step < spec.folds - 1 and trial.should_prune():
            outcome.state = "pruned"
            return


# Splits kept for reuse at most this big: a fit run later in the process keeps its memory cap
# (FIT_MEMORY_LIMIT_MB, counted from the process's idle size) almost whole.
SPLIT_CACHE_MAX_BYTES = 16 * 2**20
_last_split: dict[tuple[Any, ...], tuple[pd.DataFrame, np.ndarray]] = {}


def training_split(
    spec: TrialSpec, payload: bytes, features: list[str], target: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The training split the trial cross-validates on: parsed and split again only when the
    last trial in this process used another one (another file, columns, split size or seed).
    Parsing and splitting Wine took 4 ms of every trial; Optuna in one process splits once."""
    fit = spec.fit
    key = (spec.data_key, tuple(features), target, fit.test_size, fit.random_state, fit.task)
    if spec.data_key is not None and key in _last_split:
        return _last_split[key]
    X, y = training_frame(payload, features, target)
    X_train, _, y_train, _ = split(fit, X, y)
    _last_split.clear()
    size = int(X_train.memory_usage(deep=True).sum()) + np.asarray(y_train).nbytes
    if spec.data_key is not None and size <= SPLIT_CACHE_MAX_BYTES:
        _last_split[key] = (X_train, y_train)
    return X_train, y_train


def run_trial(spec: TrialSpec, payload: bytes, features: list[str], target: str) -> TrialOutcome:
    """Cross-validate the configuration on the training split of a dataset's normalised copy."""
    started = time.perf_counter()
    X_train, y_train = training_split(spec, payload, features, target)
    outcome = TrialOutcome("complete")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a trial's convergence warnings are no one's to read
        try:
            cross_validate_with_pruning(spec, X_train, y_train, outcome)
        except MemoryError:
            raise
        except Exception as exc:
            outcome.state, outcome.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
    outcome.fit_seconds = round(outcome.fit_seconds, 6)
    outcome.cv_seconds = round(time.perf_counter() - started, 6)
    if any(not np.isfinite(s) for s in outcome.fold_scores) and outcome.state != "failed":
        outcome.state, outcome.error = "failed", "a fold's score was not a finite number"
    return outcome
