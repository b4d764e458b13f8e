"""Tables whose answers the tests know: one column decides the target, the others are noise."""

import numpy as np
import pandas as pd

COLUMNS = [
    {"name": "signal", "type": "categorical"},
    {"name": "noise", "type": "numeric"},
    {"name": "city", "type": "categorical"},
    {"name": "level", "type": "numeric"},
]


def decided_by_signal(rows: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """`label` is a function of `signal` alone."""
    rng = np.random.default_rng(seed)
    signal = rng.choice(["red", "green", "blue"], rows)
    X = pd.DataFrame(
        {
            "signal": signal,
            "noise": rng.normal(size=rows),
            "city": rng.choice(["Lyon", "Oslo", "Porto"], rows),
            "level": rng.uniform(0, 10, rows),
        }
    )
    return X, np.where(signal == "red", "stop", "go")


def level_decides(rows: int = 400, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """A regression target that is mostly `level`, with a little noise."""
    X, _ = decided_by_signal(rows, seed)
    y = 3.0 * X["level"].to_numpy() + np.random.default_rng(seed).normal(0, 0.5, rows)
    return X, y
