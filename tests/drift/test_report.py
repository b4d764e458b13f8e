"""The drift statistics on data shifted on purpose and data that is not: the shifted columns
are flagged, the others are not. Seeds are fixed and samples large (5,000 reference rows,
2,000 live), so an unshifted column's PSI stays near 0.005, far below the 0.2 threshold."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from app.drift.profile import categorical_profile, numeric_profile, reference_profile
from app.drift.report import OTHER, Thresholds, category_counts, compare, ks_test

REFERENCE_ROWS, LIVE_ROWS = 5000, 2000
COLOURS = np.array(["red", "green", "blue"])
COLUMNS = [
    {"name": "moved", "type": "numeric"},
    {"name": "steady", "type": "numeric"},
    {"name": "colour", "type": "categorical"},
    {"name": "size", "type": "categorical"},
    {"name": "flag", "type": "boolean"},
]


def table(rows: int, seed: int, shifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    colours = np.append(COLOURS, "purple") if shifted else COLOURS
    colour_shares = [0.2, 0.2, 0.2, 0.4] if shifted else [1 / 3] * 3
    size_shares = [0.7, 0.15, 0.15] if shifted else [1 / 3] * 3
    return pd.DataFrame(
        {
            "moved": rng.normal(1.0 if shifted else 0.0, 1.0, rows),  # a moved mean
            "steady": rng.normal(5.0, 2.0, rows),
            "colour": rng.choice(colours, rows, p=colour_shares),  # a new category
            "size": rng.choice(np.array(["s", "m", "l"]), rows, p=size_shares),  # new balance
            "flag": rng.random(rows) < 0.5,
        }
    )


def predictions(rows: int, seed: int, share_yes: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(rows) < share_yes, "yes", "no")


@pytest.fixture(scope="module")
def reference() -> dict:
    return reference_profile(
        COLUMNS, table(REFERENCE_ROWS, 1, False), predictions(5000, 2, 0.5), True
    )


def live(frame: pd.DataFrame) -> dict:
    return {name: frame[name].to_numpy() for name in frame.columns}


def test_shifted_columns_and_predictions_are_flagged(reference: dict) -> None:
    shifted = table(LIVE_ROWS, 3, True)
    report = compare(reference, live(shifted), predictions(LIVE_ROWS, 4, 0.85), Thresholds())
    assert report["drifted_columns"] == ["moved", "colour", "size"]
    assert report["prediction"]["drifted"] and report["drifted"]
    by_name = {column["name"]: column for column in report["columns"]}
    assert by_name["moved"]["test"] == "ks" and by_name["colour"]["test"] == "chi2"
    assert by_name["steady"]["psi"] < 0.05 and not by_name["flag"]["drifted"]
    unseen = {b["label"]: b for b in by_name["colour"]["bins"]}[OTHER]
    assert unseen["reference"] == 0 and unseen["live"] == pytest.approx(0.4, abs=0.03)


def test_unshifted_data_is_not_flagged(reference: dict) -> None:
    same = table(LIVE_ROWS, 5, False)
    report = compare(reference, live(same), predictions(LIVE_ROWS, 6, 0.5), Thresholds())
    assert report["drifted_columns"] == [] and not report["drifted"]
    assert max(column["psi"] for column in report["columns"]) < 0.02


def test_ks_statistic_agrees_with_scipy_on_raw_values() -> None:
    """Read at the reference's percentile points, the statistic is within one step (0.01) of
    scipy's exact two-sample statistic."""
    rng = np.random.default_rng(7)
    train, current = rng.normal(0, 1, 5000), rng.normal(0.3, 1.2, 3000)
    profile = numeric_profile(train)
    statistic, p_value = ks_test(profile, current)
    exact = stats.ks_2samp(train, current)
    assert statistic == pytest.approx(exact.statistic, abs=0.01)
    assert p_value is not None and p_value < 1e-6 and exact.pvalue < 1e-6


def test_missing_values_are_a_bin_of_their_own() -> None:
    values = np.array([1.0, 2.0, np.nan, 4.0] * 250)
    profile = numeric_profile(values)
    assert profile["missing"] == pytest.approx(0.25)
    assert sum(profile["shares"]) + profile["missing"] == pytest.approx(1.0)
    labels = categorical_profile(np.array(["a", None, "b", "a"] * 50, dtype=object))
    counts = category_counts(labels | {"name": "c"}, np.array(["a", None, "z"], dtype=object))
    assert counts.tolist() == [1, 0, 1, 1]  # a, b, other (z), missing


def test_profile_holds_no_raw_rows_and_bounded_categories() -> None:
    many = np.array([f"value-{i}" for i in range(10_000)], dtype=object)
    profile = categorical_profile(many)
    assert len(profile["categories"]) == 50
    assert profile["other"] == pytest.approx(1 - 50 / 10_000)
    numbers = numeric_profile(np.arange(100_000, dtype=float))
    assert len(numbers["grid"]) <= 101 and len(numbers["edges"]) <= 9
