"""A cost bound on a numeric hyperparameter, as GET /algorithms shows it and Settings reads it.

The bounds themselves (which hyperparameter, what range) are the server's, in
app/training/bounds.py; this is their shape, shared with the client.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Bound(BaseModel):
    """An inclusive range for a numeric hyperparameter; either end may be open."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    minimum: float | None = Field(default=None, description="Smallest value accepted.")
    maximum: float | None = Field(default=None, description="Largest value accepted.")

    @model_validator(mode="after")
    def _ordered(self) -> "Bound":
        if self.minimum is None and self.maximum is None:
            raise ValueError("give a minimum, a maximum or both")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is above maximum {self.maximum}")
        return self

    def violation(self, value: Any) -> str | None:
        """Why `value` is outside this bound, or None. Non-numbers (None, strings) are left to
        scikit-learn's constraints: `max_depth=None` grows until the leaves are pure, which
        the number of samples bounds."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if self.maximum is not None and value > self.maximum:
            return f"at most {format_number(self.maximum)}"
        if self.minimum is not None and value < self.minimum:
            return f"at least {format_number(self.minimum)}"
        return None


def format_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
