"""The evaluation's work in a fit process: load the model (its bytes checked against the
sha256 the worker recorded, as serving does), read the dataset's normalised copy, measure."""

from typing import Any

from app.evaluation.metrics import evaluation_metrics
from app.inference.loading import verified_load
from app.training.fitting import training_frame


def evaluate_normalised(
    model_file: tuple[bytes, str, str], payload: bytes, columns: list[str], target: str, task: str
) -> dict[str, Any]:
    """`model_file`: (bytes, sha256, model id). A model stored before pipelines takes a plain
    float array (`columns` by position) rather than a frame; it is told by not being one."""
    model = verified_load(*model_file)
    X, y = training_frame(payload, columns, target)
    if not hasattr(model, "named_steps"):
        X = X.to_numpy(dtype=float)
    return evaluation_metrics(task, model, X, y)
