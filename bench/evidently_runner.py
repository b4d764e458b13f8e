"""Evidently's side of the drift benchmark; run by bench/.venv-evidently's python, never
imported by ours.

    python evidently_runner.py '<json request>'   prints one JSON object on its last stdout line.

Requests: {"mode": "info"}; {"mode": "drift", "reference": parquet path, "current": parquet
path, "reps": n}: Evidently's DataDriftPreset on the two frames, timed per run (the report's
computation, `Report.run`; reading the files is not timed), with each column's method, score,
threshold and whether Evidently calls it drifted.
"""

import json
import sys
import time
import warnings
from typing import Any


def info() -> dict[str, Any]:
    import evidently
    import pandas
    import scipy

    return {
        "evidently": evidently.__version__,
        "pandas": pandas.__version__,
        "scipy": scipy.__version__,
    }


def drifted(method: str, score: float, threshold: float) -> bool:
    """A p-value drifts below its threshold; a distance (Wasserstein, Jensen-Shannon) at or
    above it, as Evidently's ValueDrift decides."""
    return score < threshold if "p_value" in method else score >= threshold


def columns(snapshot: Any) -> dict[str, dict[str, Any]]:
    found = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            method, threshold, score = config["method"], config["threshold"], metric["value"]
            found[config["column"]] = {
                "method": method,
                "score": float(score),
                "threshold": threshold,
                "drifted": bool(drifted(method, score, threshold)),
            }
    return found


def drift(request: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    reference = pd.read_parquet(request["reference"])
    current = pd.read_parquet(request["current"])
    seconds, snapshot = [], None
    for _ in range(request["reps"]):
        started = time.perf_counter()
        snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
        seconds.append(time.perf_counter() - started)
    return {"seconds": seconds, "columns": columns(snapshot)}


def main() -> None:
    warnings.simplefilter("ignore")
    request = json.loads(sys.argv[1])
    answer = info() if request["mode"] == "info" else drift(request)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
