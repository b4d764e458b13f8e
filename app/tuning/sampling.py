"""The next trial's parameters: Optuna ask/tell on an in-memory study, rebuilt each time.

Nothing of a search lives in a process: the stored trials are the study. Each ask rebuilds an
in-memory study from the finished trials (TPE learns from them) and asks it once, with a
sampler seeded by (seed, trial number). So any worker can take a search up after a crash, and
random search, which learns nothing, gives trial N the same parameters whenever and wherever it
is asked. Grid search walks scikit-learn's ParameterGrid in an order seeded by `seed`: trial N
is the grid's N-th point in that order, the same for the same request.

AutoML (several algorithms): the algorithm is itself a categorical parameter, and each
algorithm's hyperparameters are named `<algorithm>.<name>` in the study, so TPE models each
algorithm's space apart. The first trials take each algorithm once (enqueued), then the sampler
shares the rest of the budget: evenly at random, towards the better algorithms for TPE. A grid
takes the algorithms' grids in turn, one point of each.
"""

import random
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import FrozenTrial, Trial, TrialState, create_trial
from sklearn.model_selection import ParameterGrid

from app.tuning.metrics import Direction
from app.tuning.spaces import Space, distribution, grid_values

optuna.logging.set_verbosity(optuna.logging.WARNING)
ALGORITHM = "algorithm"
MAX_STARTUP_TRIALS = 10


@dataclass(frozen=True, slots=True)
class Plan:
    """What a search samples from, as its job stored it."""

    algorithms: list[str]
    spaces: dict[str, Space]
    strategy: str
    seed: int
    direction: Direction
    trial_cap: int  # the most trials the search may create

    @property
    def auto(self) -> bool:
        return len(self.algorithms) > 1

    def key(self, algorithm: str, name: str) -> str:
        """The parameter's name in the study."""
        return f"{algorithm}.{name}" if self.auto else name

    def trial_seed(self, number: int) -> int:
        return (self.seed * 1_000_003 + number) % 2**32


Proposal = tuple[str, dict[str, Any]]  # (algorithm, params)


def propose(plan: Plan, number: int, finished: list[dict[str, Any]]) -> Proposal | None:
    """Trial `number`'s algorithm and parameters; None when a grid has no point left."""
    if plan.strategy == "grid":
        return grid_point(plan, number)
    trial = study_for(plan, number, finished).ask()
    algorithm = (
        trial.suggest_categorical(ALGORITHM, plan.algorithms) if plan.auto else plan.algorithms[0]
    )
    space = plan.spaces[algorithm]
    return algorithm, {n: suggest(trial, plan.key(algorithm, n), d) for n, d in space.items()}


def study_for(plan: Plan, number: int, finished: list[dict[str, Any]]) -> optuna.Study:
    seed = plan.trial_seed(number)
    sampler: optuna.samplers.BaseSampler
    if plan.strategy == "tpe":
        startup = max(2, min(MAX_STARTUP_TRIALS, plan.trial_cap // 4))
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
    study = optuna.create_study(direction=plan.direction, sampler=sampler)
    if plan.strategy == "tpe":
        study.add_trials([t for t in (frozen(plan, d) for d in finished) if t is not None])
    if plan.auto and number < len(plan.algorithms):
        study.enqueue_trial({ALGORITHM: plan.algorithms[number]})
    return study


def suggest(trial: Trial, name: str, dimension: dict[str, Any]) -> Any:
    kind = dimension["type"]
    if kind == "int":
        step = 1 if dimension["log"] else dimension.get("step", 1)
        low, high, log = dimension["low"], dimension["high"], dimension["log"]
        return trial.suggest_int(name, low, high, step=step, log=log)
    if kind == "float":
        low, high, log = dimension["low"], dimension["high"], dimension["log"]
        return trial.suggest_float(name, low, high, log=log)
    return trial.suggest_categorical(name, dimension["choices"])


STATES = {
    "complete": TrialState.COMPLETE,
    "pruned": TrialState.PRUNED,
    "failed": TrialState.FAIL,
}


def frozen(plan: Plan, document: dict[str, Any]) -> FrozenTrial | None:
    """A stored trial as Optuna's record of it (None for one that neither ran nor failed)."""
    state = STATES.get(document["state"])
    algorithm = document["algorithm"]
    if state is None or algorithm not in plan.spaces:
        return None
    space = plan.spaces[algorithm]
    distributions: dict[str, BaseDistribution] = {
        plan.key(algorithm, n): distribution(d) for n, d in space.items() if n in document["params"]
    }
    params = {plan.key(algorithm, n): v for n, v in document["params"].items() if n in space}
    if plan.auto:
        distributions[ALGORITHM] = CategoricalDistribution(plan.algorithms)
        params[ALGORITHM] = algorithm
    complete = state is TrialState.COMPLETE and document.get("score") is not None
    return create_trial(
        state=state if complete or state is not TrialState.COMPLETE else TrialState.FAIL,
        value=document["score"] if complete else None,
        params=params,
        distributions=distributions,
        intermediate_values=dict(enumerate(document.get("intermediate") or [])),
    )


def grid_point(plan: Plan, number: int) -> Proposal | None:
    points = grid_order(plan)
    return points[number] if number < len(points) else None


def grid_order(plan: Plan) -> list[Proposal]:
    """Each algorithm's grid in a seeded order, the algorithms taken in turn."""
    orders = []
    for algorithm in plan.algorithms:
        space = plan.spaces[algorithm]
        grid = ParameterGrid({name: grid_values(d) for name, d in space.items()})
        rng = random.Random(f"{plan.seed}:{algorithm}")
        picked = rng.sample(range(len(grid)), min(len(grid), plan.trial_cap))
        orders.append([(algorithm, dict(grid[i])) for i in picked])
    turns = max((len(order) for order in orders), default=0)
    interleaved = [order[i] for i in range(turns) for order in orders if i < len(order)]
    return interleaved[: plan.trial_cap]
