"""Thresholds: whether measured metrics meet the request's bounds, with a reason per bound."""

from typing import Any


def _check(metric: str, value: float | None, bound: dict[str, Any]) -> tuple[bool, str]:
    if value is None:
        return False, f"{metric} could not be computed on this dataset"
    low, high = bound.get("min"), bound.get("max")
    if low is not None and value < low:
        return False, f"{metric} {value:.6g} is below the minimum {low:g}"
    if high is not None and value > high:
        return False, f"{metric} {value:.6g} is above the maximum {high:g}"
    wanted = " and ".join(
        part
        for part in (
            f"≥ {low:g}" if low is not None else "",
            f"≤ {high:g}" if high is not None else "",
        )
        if part
    )
    return True, f"{metric} {value:.6g} {wanted}: met"


def judge(metrics: dict[str, Any], thresholds: list[dict[str, Any]]) -> tuple[bool, list[str]]:
    """(every bound met, one reason per bound, failures first); no thresholds: a pass."""
    results = [_check(t["metric"], metrics.get(t["metric"]), t) for t in thresholds]
    reasons = [why for ok, why in results if not ok] + [why for ok, why in results if ok]
    return all(ok for ok, _ in results), reasons
