"""What a search optimises: per metric, scikit-learn's scorer, its direction, and where the
refitted model's hold-out value of it sits in the model's metrics (app/training/evaluation.py).

Scores are stored in the metric's own units (an error is positive), so a reader never flips a
sign; `direction` says which way is better.
"""

from dataclasses import dataclass
from typing import Literal

from app.training.exceptions import InvalidTrainingRequest
from app.training.tasks import Task
from tensorfleet.schemas.tuning import DEFAULT_METRIC, METRICS_BY_TASK

Direction = Literal["maximize", "minimize"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    scorer: str  # scikit-learn's scorer name; errors are negated by it
    holdout_key: str  # the refitted model's metric of the same name

    @property
    def direction(self) -> Direction:
        return "maximize" if not self.scorer.startswith("neg_") else "minimize"

    @property
    def sign(self) -> float:
        """Turns the scorer's value back into the metric's own units."""
        return -1.0 if self.scorer.startswith("neg_") else 1.0


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("accuracy", "accuracy", "test_accuracy"),
        MetricSpec("f1_macro", "f1_macro", "f1_macro"),
        MetricSpec("r2", "r2", "test_r2"),
        MetricSpec("mae", "neg_mean_absolute_error", "mae"),
        MetricSpec("rmse", "neg_root_mean_squared_error", "rmse"),
    )
}


def metric_for(task: Task, requested: str | None) -> MetricSpec:
    """The requested metric, or the task's default; a 422 on `metric` when it does not fit."""
    name = requested or DEFAULT_METRIC[task]
    if name not in METRICS_BY_TASK[task]:
        raise InvalidTrainingRequest(
            ("body", "metric"),
            f"metric {name!r} does not fit a {task} dataset; use one of: "
            f"{', '.join(METRICS_BY_TASK[task])}",
        )
    return METRICS[name]


def better(direction: Direction, score: float, than: float) -> bool:
    return score > than if direction == "maximize" else score < than
