"""Figure 7: a hyperparameter search, Optuna in one process (the floor) against a TensorFleet
tuning job with one and with two workers.

The same objective (k-fold CV accuracy of a random forest on Wine's training split, the
worker's own pipeline and folds), space, budget, random sampler and seed. Trials take about a
second. A search's random trial N is drawn by Optuna's RandomSampler seeded from (seed, N), so
that any worker draws it alike (app/tuning/sampling.py); Optuna's one-process loop seeded once
draws other trials from the same space (seed 42, 24 trials: 4% fewer trees on average), and a
forest's fit time follows its trees. So the floor is given the search's own trials (enqueued
in its study, asked and told by Optuna's loop as usual): both sides fit the same forests, and
the difference in time is the overhead, not the draw. The search's stored parameters are checked
against them. Each TensorFleet worker runs one job at a time (WORKER_MAX_JOBS=1), so one worker is
one process fitting like the floor, and two workers are two.

- per-trial overhead, two ways: (search wall time / trials) minus the floor's, where the
  search's wall time is from its start (the first step) to its last trial's end, as stored (the
  refit after it is reported apart); and, inside the one-worker run, what each trial costs
  beyond its cross-validation: from its start to the next trial's start, less its time in the
  fit process (`cv_seconds`). The second is measured in the same seconds as the trials, so a
  machine whose load changes between the runs moves it far less. It is reported in three parts,
  each from the stored times: `start` (the trial's first write, marking it running, and its
  read of the search), `in job` (the job's time from then to its result, less the fit process's:
  the dataset, the pipe to the process), and `gap` (the write of its result, arq ending the job
  and picking the next one up);
- speed-up: the one-worker search's wall time over the two-worker one's;
- best score: each search's best mean CV accuracy.
"""

import itertools
import statistics
import time
from datetime import datetime
from typing import Any

import httpx
import optuna
import pandas as pd
from sklearn.base import clone
from sklearn.datasets import load_wine
from sklearn.model_selection import StratifiedKFold

from app.training.fitting import FitSpec, make_pipeline, split
from app.tuning.sampling import Plan, propose
from bench.stack import Stack

optuna.logging.set_verbosity(optuna.logging.WARNING)
SEED, FOLDS, TEST_SIZE = 42, 3, 0.2
# The search's times come from what it stored, so the poll only has to see it end; polling every
# 50 ms read the whole search (every trial) 20 times a second, CPU taken from the fits measured.
POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 1800.0


def space(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    low, high = config["tuning_trees"]
    return {
        "n_estimators": {"type": "int", "low": low, "high": high},
        "max_depth": {"type": "int", "low": 2, "high": 16},
    }


def drawn_params(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The parameters of the search's trials, in order, as its random strategy draws them."""
    dims = {name: d | {"log": False} for name, d in space(config).items()}
    plan = Plan(["random_forest"], {"random_forest": dims}, "random", SEED, "maximize", 0)
    proposals = [propose(plan, n, []) for n in range(config["tuning_trials"])]
    return [params for _, params in (p for p in proposals if p is not None)]


def wine() -> tuple[pd.DataFrame, Any]:
    bunch = load_wine(as_frame=True)
    return bunch.data, bunch.target.to_numpy()


def floor(config: dict[str, Any]) -> dict[str, Any]:
    """Optuna's own loop in this process: ask, cross-validate, tell."""
    X, y = wine()
    dims = space(config)
    X_train, _, y_train, _ = split(FitSpec("random_forest", {}, TEST_SIZE, SEED), X, y)
    durations: list[float] = []

    def objective(trial: optuna.Trial) -> float:
        started = time.perf_counter()
        params = {n: trial.suggest_int(n, d["low"], d["high"]) for n, d in dims.items()}
        model = make_pipeline(FitSpec("random_forest", params, TEST_SIZE, SEED), X_train)
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
        scores = [
            clone(model).fit(X_train.iloc[a], y_train[a]).score(X_train.iloc[b], y_train[b])
            for a, b in folds.split(X_train, y_train)
        ]
        durations.append(time.perf_counter() - started)
        return float(statistics.fmean(scores))

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(SEED))
    for params in drawn_params(config):
        study.enqueue_trial(params)
    started = time.perf_counter()
    study.optimize(objective, n_trials=config["tuning_trials"])
    wall = time.perf_counter() - started
    return figures(wall, config["tuning_trials"], durations, study.best_value)


def figures(wall: float, trials: int, durations: list[float], best: float | None) -> dict:
    return {
        "wall_seconds": round(wall, 3),
        "seconds_per_trial": round(wall / trials, 4),
        "trial_median_seconds": round(statistics.median(durations), 4) if durations else None,
        "best_score": best,
    }


def request(config: dict[str, Any], workers: int) -> dict[str, Any]:
    return {
        "dataset_name": "wine",
        "algorithm": "random_forest",
        "space": space(config),
        "strategy": "random",
        "cv": FOLDS,
        "max_trials": config["tuning_trials"],
        "seed": SEED,
        "test_size": TEST_SIZE,
        "pruning": False,  # the floor does not prune: the same work on both sides
        "model_name": f"bench-tuned-{workers}",
    }


def wait(client: httpx.Client, tuning_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        tuning = client.get(f"/tuning/{tuning_id}").json()
        if tuning["status"] in ("succeeded", "failed", "cancelled"):
            return tuning
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"tuning {tuning_id} did not end within {TIMEOUT_SECONDS}s")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def search(stack: Stack, config: dict[str, Any], workers: int) -> dict[str, Any]:
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:
        started = time.perf_counter()
        response = client.post("/tuning", json=request(config, workers))
        response.raise_for_status()
        tuning = wait(client, response.json()["tuning_id"])
        total = time.perf_counter() - started
    if tuning["status"] != "succeeded":
        raise RuntimeError(f"tuning {tuning['status']}: {tuning.get('error')}")
    trials = tuning["trials"]
    drawn = [t["params"] for t in sorted(trials, key=lambda t: t["number"])]
    if drawn != drawn_params(config):
        raise RuntimeError("the search drew other parameters than the floor was given")
    ordered = sorted(trials, key=lambda t: at(t["started_at"]))
    pairs = list(itertools.pairwise(ordered))
    gaps = [(at(b["started_at"]) - at(a["finished_at"])).total_seconds() for a, b in pairs]
    cycles = [(at(b["started_at"]) - at(a["started_at"])).total_seconds() for a, b in pairs]
    beyond_cv = [cycle - a["cv_seconds"] for cycle, (a, _) in zip(cycles, pairs, strict=True)]
    in_job = [t["duration_seconds"] - t["cv_seconds"] for t in trials]
    starts = [ran(t) - t["duration_seconds"] for t in trials]
    last_end = max(at(t["finished_at"]) for t in trials)
    wall = (last_end - at(tuning["started_at"])).total_seconds()
    result = figures(wall, len(trials), [t["duration_seconds"] for t in trials], tuning["cv_score"])
    result |= {
        "submit_to_registered_seconds": round(total, 3),
        "refit_seconds": round((at(tuning["finished_at"]) - last_end).total_seconds(), 3),
        "holdout_score": tuning["holdout_score"],
        "workers_used": len({t["worker"] for t in trials}),
        "start_ms_median": median_ms(starts),
        "in_job_overhead_ms_median": median_ms(in_job),
        "gap_ms_median": median_ms(gaps),
        "beyond_cv_ms_median": median_ms(beyond_cv),  # one worker: trials follow each other
    }
    return result


def ran(trial: dict[str, Any]) -> float:
    """Seconds from the trial's start to its end, as stored (both stamped before the write)."""
    return (at(trial["finished_at"]) - at(trial["started_at"])).total_seconds()


def median_ms(values: list[float]) -> float | None:
    return round(statistics.median(values) * 1000, 1) if values else None


def run(stack: Stack, config: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, Any] = {"trials": config["tuning_trials"], "space": space(config)}
    results["floor"] = floor(config)
    for workers in (1, 2):
        stack.stop_workers()
        stack.start_workers(workers, WORKER_MAX_JOBS="1", TUNING_MAX_IN_FLIGHT=str(2 * workers))
        results[f"workers_{workers}"] = search(stack, config, workers)
    stack.stop_workers()
    per_trial = results["floor"]["seconds_per_trial"]
    one, two = results["workers_1"], results["workers_2"]
    results["overhead_ms_per_trial"] = round((one["seconds_per_trial"] - per_trial) * 1000, 1)
    results["overhead_ms_per_trial_in_run"] = one["beyond_cv_ms_median"]
    results["speedup_2_over_1"] = round(one["wall_seconds"] / two["wall_seconds"], 3)
    return results
