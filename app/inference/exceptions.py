"""What can go wrong serving a prediction, in domain terms; the router maps these to HTTP."""

from typing import Any


class InferenceError(Exception):
    """Base of the inference domain's errors."""


class InvalidPredictionInput(InferenceError):
    """The rows do not fit the model's input: each error names its row and column (`loc`)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:3]))


class ModelTooLarge(InferenceError):
    """The model's file is larger than the whole cache (MODEL_CACHE_BYTES)."""


class ModelIntegrityError(InferenceError):
    """The stored file's sha256 is not the one the worker recorded: it is never loaded."""
