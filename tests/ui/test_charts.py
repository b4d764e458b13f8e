"""The server-drawn SVG charts: labels are escaped, values land where they should."""

from app.ui.charts import bar_chart, confusion_heatmap, scatter
from app.ui.modelviews import best, comparison_rows


def test_labels_are_escaped() -> None:
    chart = bar_chart([("<script>alert(1)</script>", 3.0)], title="t")
    assert "<script>" not in chart and "&lt;script&gt;" in chart


def test_bars_scale_to_the_largest_value() -> None:
    chart = str(bar_chart([("a", 2.0), ("b", 1.0)], title="t"))
    assert 'width="260.0"' in chart and 'width="130.0"' in chart


def test_heatmap_darkens_the_larger_share_of_a_row() -> None:
    rows = [{"actual": "a", "counts": [9, 1]}, {"actual": "b", "counts": [0, 5]}]
    chart = str(confusion_heatmap(["a", "b"], rows))
    assert chart.count("<rect") == 4
    assert "hsl(215 70% 46%)" in chart  # 9 of 10: dark
    assert "hsl(215 70% 96%)" in chart  # 0 of 5: lightest
    assert confusion_heatmap(["a", "b"], rows[:1]) == ""  # a matrix that does not fit: none


def test_scatter_draws_one_dot_per_point() -> None:
    chart = str(scatter([(1.0, -0.5), (2.0, 0.5)], title="r", x_label="x", y_label="y"))
    assert chart.count("<circle") == 2


def test_the_best_value_has_a_direction() -> None:
    assert best([0.5, 0.9], "test_accuracy") == 0.9
    assert best([0.5, 0.9], "fit_seconds") == 0.5
    assert best([0.5, 0.5], "test_accuracy") is None  # a tie marks nothing
    assert best([30, 40], "n_test") is None  # a count is no score


def test_comparison_lists_only_hyperparameters_that_differ() -> None:
    from tensorfleet.schemas.registry import ModelRead
    from tests.samples import model_metadata

    def model(depth: int) -> ModelRead:
        document = model_metadata() | {"_id": "x", "version": 1, "file_id": "f"}
        document |= {"size": 1, "sha256": "0", "created_at": "2026-01-01T00:00:00Z"}
        document["hyperparameters"] = {"max_depth": depth, "random_state": 0}
        return ModelRead.from_document(document)

    labels = [row["label"] for row in comparison_rows([model(2), model(3)])]
    assert "max_depth" in labels and "random_state" not in labels
