"""A/B endpoints: a named route for predictions that splits traffic between versions (or
aliases) of one model name by weight, with an optional shadow that gets a copy of each request.

Document layout in MongoDB (collection `endpoints`, one per endpoint, replaced in one write so
a request sees the old routes or the new, never a mix):

    _id: str (the endpoint's name)   model: str (the model name)
    routes: [{version: int | null, alias: str | null, weight: float}]
    shadow: {version: int | null, alias: str | null} | null
    created_at, updated_at: datetime  updated_by: str | null (the key id)
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tensorfleet.schemas.aliases import AliasName
from tensorfleet.schemas.bson_safe import StoredBody
from tensorfleet.schemas.training import IDENTIFIER_PATTERN, ModelName

MAX_ROUTES = 10
ROUTING_KEY_HEADER = "X-Routing-Key"
EndpointName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)
]
Weight = Annotated[
    float,
    Field(
        strict=True,
        ge=0,
        le=1e9,
        allow_inf_nan=False,
        description="A share of the traffic, relative to the other routes' weights (90 and 10 "
        "is 90%/10%); 0 sends it nothing.",
    ),
]


class Target(BaseModel):
    """A version of the endpoint's model, or an alias (resolved on every request)."""

    version: int | None = Field(default=None, ge=1, le=2**62)
    alias: AliasName | None = None

    @model_validator(mode="after")
    def _one(self) -> "Target":
        if (self.version is None) == (self.alias is None):
            raise ValueError("give exactly one of version or alias")
        return self

    @property
    def label(self) -> str:
        return f"v{self.version}" if self.version is not None else f"@{self.alias}"


class Route(Target):
    weight: Weight


class EndpointSet(StoredBody):
    """Create or replace an endpoint: its routes and weights change in one write."""

    model: ModelName = Field(description="The model name whose versions the routes name.")
    routes: list[Route] = Field(min_length=1, max_length=MAX_ROUTES)
    shadow: Target | None = Field(
        default=None,
        description="Gets a copy of each request after the answer; its predictions are "
        "recorded for comparison, never returned.",
    )

    @model_validator(mode="after")
    def _some_weight(self) -> "EndpointSet":
        if not any(route.weight > 0 for route in self.routes):
            raise ValueError("routes: at least one weight must be above 0")
        return self


class EndpointRead(BaseModel):
    name: str
    model: str
    routes: list[Route]
    shadow: Target | None = None
    created_at: datetime
    updated_at: datetime
    updated_by: str | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "EndpointRead":
        fields = {key: value for key, value in document.items() if key != "_id"}
        return cls(name=document["_id"], **fields)


class EndpointList(BaseModel):
    items: list[EndpointRead]


class VersionStats(BaseModel):
    """What one version answered through the endpoint (counted across API processes)."""

    version: int
    role: Literal["route", "shadow"]
    requests: int = Field(ge=0)
    errors: int = Field(ge=0, description="Requests the version failed to answer (not bad input).")
    invalid_input: int = Field(ge=0, description="Requests refused for their rows.")
    mean_latency_ms: float | None = Field(default=None, description="Of answered requests.")
    share: float | None = Field(
        default=None, description="Of the endpoint's routed requests (null for the shadow)."
    )


class ShadowSample(BaseModel):
    at: datetime
    served_version: int
    shadow_version: int
    rows: int
    disagreed_rows: int
    served: list[Any] = Field(description="The served predictions (the first few rows).")
    shadow: list[Any] = Field(description="The shadow's predictions of the same rows.")


class ShadowStats(BaseModel):
    compared_rows: int = Field(ge=0)
    disagreed_rows: int = Field(ge=0)
    disagreement_rate: float | None = Field(
        description="Rows where the shadow's prediction differs (a class; a number by more "
        "than 1% relative): disagreed / compared."
    )
    skipped: int = Field(ge=0, description="Copies not sent: too many shadow calls in flight.")
    recent: list[ShadowSample] = Field(description="The latest comparisons, newest first.")


class EndpointStats(BaseModel):
    name: str
    model: str
    requests: int = Field(ge=0, description="Requests routed to a version.")
    versions: list[VersionStats]
    shadow: ShadowStats | None = None
