"""The columns a model takes, read from its stored metadata.

A model trained since pipelines records an `input_schema` and takes a pandas DataFrame by
column name, with missing values (its pipeline imputes them). A model stored before that has
only `features`: a plain estimator that takes a numeric array by position, with no missing
values; it is served the same way, by position or by those names.
"""

from dataclasses import dataclass
from typing import Any, Literal

ColumnType = Literal["numeric", "categorical", "boolean"]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool


@dataclass(frozen=True, slots=True)
class ModelInput:
    """The columns in order, and whether the model takes a DataFrame (else a float array)."""

    columns: tuple[Column, ...]
    frame: bool

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]


def model_input(document: dict[str, Any]) -> ModelInput:
    schema = document.get("input_schema")
    if schema:
        columns = (Column(str(c["name"]), c["type"], nullable=True) for c in schema)
        return ModelInput(tuple(columns), frame=True)
    names = document.get("features") or []
    return ModelInput(tuple(Column(str(n), "numeric", nullable=False) for n in names), False)
