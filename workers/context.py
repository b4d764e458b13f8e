"""The worker's typed context: what on_startup opens, every job reads, on_shutdown closes.

arq hands each job a shallow copy of its `ctx` dict; the one `WorkerContext` inside it is shared,
so the dataset cache filled by one job serves the next. Jobs read it through `worker_context`,
never through loose `ctx[...]` keys.
"""

from dataclasses import dataclass, field
from typing import Any

from app.config import Settings
from app.resources import Resources
from app.training.datasets import Dataset
from workers.pool import FitPool

CONTEXT_KEY = "tensorfleet"


@dataclass
class WorkerContext:
    resources: Resources
    pool: FitPool
    # Parsed datasets by content hash, oldest first (see workers.training.load_dataset).
    dataset_cache: dict[str, Dataset] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    async def close(self) -> None:
        self.pool.shutdown()
        await self.resources.close()


def worker_context(ctx: dict[str, Any]) -> WorkerContext:
    context: WorkerContext = ctx[CONTEXT_KEY]
    return context


def job_attempt(ctx: dict[str, Any]) -> int:
    """Which try of the job this is (1 for the first), as arq counts them."""
    attempt: int = ctx["job_try"]
    return attempt
