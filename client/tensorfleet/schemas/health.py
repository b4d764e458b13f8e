"""What `GET /health` answers: each store's state, and whether the API can serve."""

from typing import Literal

from pydantic import BaseModel

DependencyState = Literal["up", "down"]


class DependencyHealth(BaseModel):
    status: DependencyState
    latency_ms: float | None = None
    error: str | None = None


class HealthRead(BaseModel):
    status: Literal["ok", "unavailable"]
    dependencies: dict[str, DependencyHealth]
