"""Comparing a live sample with a reference profile: pure and vectorised (no per-row Python).

Per column: the population stability index over the reference's bins (missing values are a
bin), and a test suited to the type: two-sample Kolmogorov-Smirnov for numbers (the statistic
read at the reference's percentile points, the p-value from scipy's `kstwo`, as `ks_2samp`'s
asymptotic method computes it), Pearson's chi-squared for categories (scipy `chisquare` of the
live counts against the reference shares). A column drifts when both say so: PSI at least
`psi_threshold` (the effect is large) and p-value below `p_value` (it is not noise). Shares
of zero are floored at EPSILON so that a category never seen in training (a bin the reference
left empty) gives a large, finite PSI.
"""

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from app.drift.profile import NUMERIC, as_labels, as_numbers, bin_counts, cdf_at

EPSILON = 1e-4
OTHER, MISSING = "(other)", "(missing)"


@dataclass(frozen=True, slots=True)
class Thresholds:
    psi: float = 0.2
    p_value: float = 0.05


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """sum((a - e) ln(a / e)) over the bins, each share floored at EPSILON."""
    e, a = np.maximum(expected, EPSILON), np.maximum(actual, EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _bins(labels: list[str], expected: np.ndarray, actual: np.ndarray) -> list[dict[str, Any]]:
    return [
        {"label": label, "reference": round(float(e), 6), "live": round(float(a), 6)}
        for label, e, a in zip(labels, expected, actual, strict=True)
    ]


def _edge_labels(edges: list[float]) -> list[str]:
    if not edges:
        return ["all"]
    bounds = [f"{edge:.4g}" for edge in edges]
    middle = [f"({low}, {high}]" for low, high in itertools.pairwise(bounds)]
    return [f"<= {bounds[0]}", *middle, f"> {bounds[-1]}"]


def ks_test(reference: dict[str, Any], present: np.ndarray) -> tuple[float | None, float | None]:
    """KS statistic at the reference's percentile points and its asymptotic p-value."""
    grid = np.asarray(reference["grid"], dtype=np.float64)
    n, m = reference.get("n_present", reference["n"]), len(present)
    if not len(grid) or not m or not n:
        return None, None
    statistic = float(np.max(np.abs(cdf_at(grid, present) - np.asarray(reference["cdf"]))))
    effective = round(n * m / (n + m))
    return statistic, _finite(stats.kstwo.sf(statistic, max(effective, 1)))


def _measured(
    test: str, index: float, statistic: float | None, p_value: float | None, bins: list
) -> dict[str, Any]:
    return {"test": test, "psi": index, "statistic": statistic, "p_value": p_value, "bins": bins}


def numeric_drift(reference: dict[str, Any], values: Any) -> dict[str, Any]:
    numbers = as_numbers(values)
    present = numbers[np.isfinite(numbers)]
    edges = np.asarray(reference["edges"], dtype=np.float64)
    counts = np.append(bin_counts(edges, present), len(numbers) - len(present))
    actual = counts / max(len(numbers), 1)
    expected = np.append(np.asarray(reference["shares"]), reference["missing"])
    statistic, p_value = ks_test(reference, present)
    labels = [*_edge_labels(reference["edges"]), MISSING]
    return _measured(
        "ks", psi(expected, actual), statistic, p_value, _bins(labels, expected, actual)
    )


def category_counts(reference: dict[str, Any], values: Any) -> np.ndarray:
    """Counts of each reference category, then "other", then missing."""
    labels = as_labels(values)
    known = reference["categories"]
    codes = pd.Index(known, dtype=object).get_indexer(labels).astype(np.int64)
    codes[codes < 0] = len(known)  # unseen values, and missing ones until the next line
    codes[labels.isna().to_numpy()] = len(known) + 1
    return np.bincount(codes, minlength=len(known) + 2)


def chi_squared(expected: np.ndarray, counts: np.ndarray) -> tuple[float | None, float | None]:
    """Pearson's chi-squared of the counts against the expected shares, over the bins either
    side uses."""
    used = (expected > 0) | (counts > 0)
    total = counts.sum()
    if used.sum() < 2 or not total:
        return None, None
    shares = np.maximum(expected[used], EPSILON)
    result = stats.chisquare(counts[used], shares / shares.sum() * total)
    return _finite(result.statistic), _finite(result.pvalue)


def categorical_drift(reference: dict[str, Any], values: Any) -> dict[str, Any]:
    counts = category_counts(reference, values)
    actual = counts / max(counts.sum(), 1)
    expected = np.asarray([*reference["shares"], reference["other"], reference["missing"]])
    statistic, p_value = chi_squared(expected, counts)
    labels = [*reference["categories"], OTHER, MISSING]
    return _measured(
        "chi2", psi(expected, actual), statistic, p_value, _bins(labels, expected, actual)
    )


def column_drift(reference: dict[str, Any], values: Any, thresholds: Thresholds) -> dict:
    """One column's report: PSI, the test's statistic and p-value, drifted, and the bins."""
    measure = numeric_drift if reference["type"] == NUMERIC else categorical_drift
    measured = measure(reference, values)
    p_value = measured["p_value"]
    large = measured["psi"] >= thresholds.psi
    drifted = large and p_value is not None and p_value < thresholds.p_value
    return {"name": reference["name"], "type": reference["type"]} | measured | {"drifted": drifted}


def compare(
    reference: dict[str, Any],
    live: dict[str, Any],
    predictions: Any,
    thresholds: Thresholds,
) -> dict[str, Any]:
    """Every column's drift (`live` maps column names to values) and the predictions' (None
    when either side has none)."""
    columns = [
        column_drift(profile, live[profile["name"]], thresholds)
        for profile in reference["columns"]
        if profile["name"] in live
    ]
    prediction = None
    if reference.get("prediction") is not None and predictions is not None:
        prediction = column_drift(reference["prediction"], predictions, thresholds)
    drifted = [column["name"] for column in columns if column["drifted"]]
    return {
        "columns": columns,
        "prediction": prediction,
        "drifted_columns": drifted,
        "drifted": bool(drifted) or bool(prediction and prediction["drifted"]),
    }
