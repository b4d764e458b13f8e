"""The rows an inference benchmark sends: the same ones to every server and to the floor."""

import json
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Rows:
    """Columns and JSON rows (the request body), and the same rows as the model's own input
    (a float array, or a DataFrame for a pipeline) for the floor."""

    columns: list[str]
    data: list[list[Any]]
    native: Any

    def _picked(self, rows: int) -> np.ndarray:
        return np.arange(rows) % len(self.data)

    def body(self, rows: int) -> bytes:
        data = [self.data[i] for i in self._picked(rows)]
        return json.dumps({"dataframe_split": {"columns": self.columns, "data": data}}).encode()

    def batch(self, rows: int) -> Any:
        picked = self._picked(rows)
        return self.native.iloc[picked] if hasattr(self.native, "iloc") else self.native[picked]
