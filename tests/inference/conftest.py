"""Inference fixtures: the registry's store clients and model factory (models published by the
real publish path), and the fitted estimator they hold, to compare answers with."""

import io
from typing import Any

import joblib

from tests.registry.conftest import bucket, db, iris_model_bytes, make_model

__all__ = ["bucket", "db", "make_model", "stored_estimator"]


def stored_estimator() -> Any:
    """The estimator make_model publishes (a decision tree on Iris, no input schema)."""
    return joblib.load(io.BytesIO(iris_model_bytes()))
