"""Numbers a stored document can hold, checked where a request body is parsed.

JSON has integers of any size and Python's parser reads `Infinity`, `NaN` and `1e999`; BSON holds
integers up to int64 and design.md's portability rules store no NaN or infinite doubles. A value
beyond either used to pass validation and fail the insert with a 500. So every request body that
is stored extends `StoredBody`: its floats refuse non-finite values; `refuse_unstorable` (run
before a union picks a type) and `BsonInt` refuse integers beyond int64 at the field's own
location; and a last check walks the whole validated body (nested dicts and lists too), so that
a field typed without them is still refused, naming its path.
"""

import math
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def bson_number_problem(value: Any) -> str | None:
    """Why BSON cannot store this number, or None (also for anything not a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return "an integer beyond int64 (-2**63 .. 2**63-1), the largest BSON can hold"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number; NaN and infinities cannot be stored"
    return None


def refuse_unstorable(value: Any) -> Any:
    """A BeforeValidator: the raw value, or one clear error at this field's location (naming
    the item when the number sits inside a list or object)."""
    for path, problem in unstorable_paths(value):
        where = f"item {path}: " if path else ""
        raise PydanticCustomError(
            "bson_number", "{where}{problem}", {"where": where, "problem": problem}
        )
    return value


BsonInt = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]


def unstorable_paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, str]]:
    """(dotted path, problem) of every number BSON cannot hold inside a dumped body."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from unstorable_paths(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from unstorable_paths(item, (*path, index))
    elif (problem := bson_number_problem(value)) is not None:
        yield ".".join(map(str, path)), problem


class StoredBody(BaseModel):
    """Base of every request body the service stores."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="after")
    def _storable(self) -> "StoredBody":
        for path, problem in unstorable_paths(self.model_dump()):
            raise ValueError(f"{path}: {problem}")
        return self
