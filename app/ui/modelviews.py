"""What a model's page and the comparison show, computed from the stored documents."""

from typing import Any

from app.ui.charts import bar_chart, confusion_heatmap, scatter
from tensorfleet.schemas.registry import ModelRead

METRIC_ROWS = ("test_accuracy", "train_accuracy", "precision_macro", "recall_macro", "f1_macro")
HIGHER_IS_BETTER = {
    "test_accuracy",
    "train_accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "r2",
}
LOWER_IS_BETTER = {"fit_seconds", "rmse", "mae", "mse", "log_loss"}
TOP_FEATURES = 20
NOT_APPLICABLE = "\u2013"  # a hyperparameter the model's algorithm does not have


def importance_rows(document: dict[str, Any], kind: str) -> list[tuple[str, float]]:
    """(column, value) pairs of one kind of stored importances ("permutation" or "model"),
    largest first; none for a model stored before importances."""
    found = (document.get("importances") or {}).get(kind)
    if isinstance(found, dict):  # the estimator's own: {kind, values}
        found = found.get("values")
    if not isinstance(found, list):
        return []
    return [(str(row["column"]), float(row["value"])) for row in found][:TOP_FEATURES]


def residual_points(insights: dict[str, Any]) -> list[tuple[float, float]]:
    rows = insights.get("residuals")
    if not isinstance(rows, list):
        return []
    return [(float(r["predicted"]), float(r["residual"])) for r in rows if isinstance(r, dict)]


def charts(document: dict[str, Any], insights: dict[str, Any]) -> dict[str, Any]:
    """The model page's charts: each empty when the model has nothing to draw it from."""
    metrics = document.get("metrics", {})
    permutation = [(c, max(v, 0.0)) for c, v in importance_rows(document, "permutation")]
    own = importance_rows(document, "model")
    importances = document.get("importances") or {}
    return {
        "heatmap": confusion_heatmap(
            document.get("classes", []), metrics.get("confusion_matrix", [])
        ),
        "residuals": scatter(
            residual_points(insights), title="Residuals", x_label="predicted", y_label="residual"
        ),
        "residual_quantiles": metrics.get("residual_quantiles") or {},
        "importances": bar_chart(permutation, title="Permutation importance", fmt="{:.3f}"),
        "importance_scoring": importances.get("permutation_scoring"),
        "importance_skipped": importances.get("permutation_skipped"),
        "model_importances": bar_chart(own, title="Estimator importances", fmt="{:.3f}"),
        "model_importance_kind": (importances.get("model") or {}).get("kind"),
    }


def metric_names(models: list[ModelRead]) -> list[str]:
    """The metrics any of the models has, the usual ones first."""
    names = [m for m in METRIC_ROWS if any(getattr(x.metrics, m, None) is not None for x in models)]
    extra = {
        key
        for model in models
        for key, value in (model.metrics.model_extra or {}).items()
        if isinstance(value, int | float)
    }
    return names + sorted(extra - set(names)) + ["fit_seconds"]


def best(values: list[Any], metric: str) -> Any:
    """The best value of a metric row, when the metric has a direction and the values differ."""
    numbers = {v for v in values if isinstance(v, int | float) and not isinstance(v, bool)}
    if len(numbers) < 2:
        return None
    if metric in HIGHER_IS_BETTER:
        return max(numbers)
    return min(numbers) if metric in LOWER_IS_BETTER else None


def comparison_rows(models: list[ModelRead]) -> list[dict[str, Any]]:
    """One row per metric and hyperparameter; `best` marks the best value of a metric row."""
    rows = []
    for metric in metric_names(models):
        values = [getattr(m.metrics, metric, None) for m in models]
        rows.append(
            {"label": metric, "values": values, "best": best(values, metric), "score": True}
        )
    parameters = sorted({name for m in models for name in m.hyperparameters})
    for name in parameters:
        values = [m.hyperparameters.get(name, NOT_APPLICABLE) for m in models]
        if len({repr(v) for v in values}) > 1 or len(models) == 1:
            rows.append({"label": name, "values": values, "best": None, "score": False})
    return rows
