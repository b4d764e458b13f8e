"""The model is a scikit-learn Pipeline: preprocessing and the estimator in one artifact.

So the downloaded file takes the raw rows of its dataset, by column name, with missing values
and text categories, and its user re-implements nothing. Only scikit-learn classes go into
it (no function of ours), so it loads where only scikit-learn, joblib and pandas are installed.

- numeric columns: missing values imputed (mean by default), then standardised for the
  algorithms that depend on scale (SVMs, linear models);
- categorical and boolean columns: one-hot encoded; a missing value is a category of its own
  and a category never seen in training encodes as all zeros (ignored) at predict time;
- gradient boosting handles both natively: numbers pass through with their NaNs, categories
  are ordinal codes it treats as categorical.

At most MAX_CATEGORIES categories per column get their own code; rarer ones share one, which
bounds the width (and so the memory) of what the estimator sees.
"""

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

NUMERIC, CATEGORICAL, BOOLEAN = "numeric", "categorical", "boolean"
MAX_CATEGORIES = 50
Imputation = Literal["mean", "median", "most_frequent"]


@dataclass(frozen=True, slots=True)
class Preprocessing:
    """The choices a request may make; `scaling` None means "as the algorithm needs"."""

    imputation: Imputation = "mean"
    scaling: bool | None = None


def _numeric(preprocessing: Preprocessing, scaled: bool) -> Pipeline:
    steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy=preprocessing.imputation))]
    if scaled:
        steps.append(("scale", StandardScaler()))
    return Pipeline(steps)


def _encoder(native: bool) -> BaseEstimator:
    if native:
        return OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=MAX_CATEGORIES
        )
    return OneHotEncoder(
        handle_unknown="ignore", sparse_output=False, max_categories=MAX_CATEGORIES
    )


def split_columns(columns: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature names; booleans are encoded as categories."""
    numeric = [c["name"] for c in columns if c["type"] == NUMERIC]
    return numeric, [c["name"] for c in columns if c["type"] != NUMERIC]


def build_pipeline(
    estimator: BaseEstimator,
    columns: list[dict[str, Any]],
    preprocessing: Preprocessing,
    *,
    scaled: bool,
    native: bool = False,
) -> Pipeline:
    """Preprocessing for these feature columns, then the estimator."""
    numeric, categorical = split_columns(columns)
    scale = scaled if preprocessing.scaling is None else preprocessing.scaling
    numbers = "passthrough" if native and not scale else _numeric(preprocessing, scale)
    transformers = [("numeric", numbers, numeric), ("categorical", _encoder(native), categorical)]
    if native and categorical:  # ordinal codes come after the numeric columns
        first = len(numeric)
        estimator.set_params(categorical_features=list(range(first, first + len(categorical))))
    preprocess = ColumnTransformer(
        [t for t in transformers if t[2]], remainder="drop", verbose_feature_names_out=False
    )
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def input_schema(pipeline: Pipeline, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The columns the model takes, with their types and, for categories, those it has seen."""
    seen: dict[str, list[str]] = {}
    preprocess: ColumnTransformer = pipeline.named_steps["preprocess"]
    if "categorical" in preprocess.named_transformers_:
        encoder = preprocess.named_transformers_["categorical"]
        for name, categories in zip(encoder.feature_names_in_, encoder.categories_, strict=True):
            seen[str(name)] = [str(c) for c in categories if not _missing(c)][:MAX_CATEGORIES]
    return [
        {"name": c["name"], "type": c["type"]}
        | ({"categories": seen.get(c["name"], [])} if c["type"] != NUMERIC else {})
        for c in columns
    ]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
