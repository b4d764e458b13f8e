"""Drift reports: a model's live inputs and predictions against its training reference."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class DriftBin(BaseModel):
    """One bin of a column: its share of the reference and of the live sample."""

    label: str = Field(description='A value range ("(0.1, 0.5]"), a category, or "(missing)".')
    reference: float = Field(ge=0, le=1)
    live: float = Field(ge=0, le=1)


class ColumnDrift(BaseModel):
    """One column's (or the predictions') drift."""

    name: str = Field(description='The column, or "(prediction)" for the predictions.')
    type: Literal["numeric", "categorical", "boolean"]
    test: Literal["ks", "chi2"] = Field(
        description="Two-sample Kolmogorov-Smirnov for numbers, chi-squared for categories."
    )
    psi: float = Field(ge=0, description="Population stability index over the bins.")
    statistic: float | None = Field(description="The test's statistic; null when undefined.")
    p_value: float | None = Field(description="The test's p-value; null when undefined.")
    drifted: bool = Field(description="psi >= thresholds.psi and p_value < thresholds.p_value.")
    bins: list[DriftBin]


class DriftThresholds(BaseModel):
    psi: float
    p_value: float


class DriftReport(BaseModel):
    """A model's drift report, computed now (GET) or by the worker's schedule (stored)."""

    model_id: str
    model_name: str
    version: int
    status: Literal["ok", "no_reference", "insufficient_samples"] = Field(
        description="no_reference: the model was trained before drift profiles; "
        "insufficient_samples: fewer live rows than min_samples."
    )
    computed_at: datetime
    samples: int = Field(ge=0, description="Live rows compared (the latest ones sampled).")
    min_samples: int
    thresholds: DriftThresholds
    drifted: bool = Field(description="Any column or the predictions drifted.")
    drifted_columns: list[str]
    columns: list[ColumnDrift]
    prediction: ColumnDrift | None


class EndpointVersionDrift(BaseModel):
    """One version an A/B endpoint serves (a route or its shadow), with that version's report."""

    role: Literal["route", "shadow"]
    target: str = Field(description='How the endpoint names the version: "v3" or "@production".')
    report: DriftReport


class EndpointDrift(BaseModel):
    """The drift of each version behind an endpoint: its traffic is sampled per version, so
    each report covers what the endpoint routed (or shadowed) to that version, with any other
    traffic the version served."""

    name: str
    model: str
    versions: list[EndpointVersionDrift]
