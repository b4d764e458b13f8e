"""One trial's cross-validation: fold scores, pruning against the finished trials, failures."""

import io
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.datasets import load_iris

from app.training.fitting import FitSpec
from app.training.tasks import Task
from app.tuning.trial import TrialOutcome, TrialSpec, run_trial

IRIS = load_iris(as_frame=True).frame


def iris_parquet() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(IRIS), buffer)
    return buffer.getvalue()


def iris_trial(params: dict, history: list[list[float]], prune: bool = True) -> TrialSpec:
    fit = FitSpec("decision_tree", params, 0.2, 3, task=Task.classification)
    return TrialSpec(fit, "accuracy", 5, prune=prune, history=history)


def run(spec: TrialSpec) -> TrialOutcome:
    return run_trial(spec, iris_parquet(), list(IRIS.columns[:-1]), "target")


def test_a_trial_behind_the_median_of_finished_trials_is_pruned_after_a_fold() -> None:
    strong = [[0.99] * 5 for _ in range(6)]
    outcome = run(iris_trial({"max_depth": 1}, strong))
    assert outcome.state == "pruned"
    assert len(outcome.fold_scores) == 1 and outcome.score == outcome.fold_scores[0] < 0.99


def test_the_same_trial_runs_every_fold_without_pruning_or_history() -> None:
    for spec in (
        iris_trial({"max_depth": 1}, [[0.99] * 5] * 6, prune=False),
        iris_trial({"max_depth": 1}, []),
    ):
        outcome = run(spec)
        assert outcome.state == "complete" and len(outcome.fold_scores) == 5
        assert outcome.intermediate[-1] == sum(outcome.fold_scores) / 5 == outcome.score


def test_a_configuration_scikit_learn_refuses_fails_the_trial_with_its_message() -> None:
    outcome = run(iris_trial({"max_depth": 0}, []))
    assert outcome.state == "failed" and "max_depth" in outcome.error


def test_a_trial_reuses_its_process_split_only_for_the_same_data_and_split() -> None:
    """A search's trials follow each other in a fit process: the next one with the same file,
    split size and seed scores on the kept split (its payload is not read again), exactly as
    one that reads the data; another seed gets its own split."""
    features = list(IRIS.columns[:-1])

    def keyed(seed: int) -> TrialSpec:
        fit = FitSpec("decision_tree", {"max_depth": 2}, 0.2, seed, task=Task.classification)
        return TrialSpec(fit, "accuracy", 5, prune=False, data_key="iris-file")

    def unkeyed(seed: int) -> TrialSpec:
        return replace(keyed(seed), data_key=None)

    first = run(keyed(3))
    again = run_trial(keyed(3), b"not read again", features, "target")
    assert first.fold_scores == again.fold_scores == run(unkeyed(3)).fold_scores
    assert run(keyed(11)).fold_scores == run(unkeyed(11)).fold_scores
    assert run(keyed(11)).fold_scores != first.fold_scores
