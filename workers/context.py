"""The worker's typed context: what on_startup opens, every job reads, on_shutdown closes.

arq hands each job a shallow copy of its `ctx` dict; the one `WorkerContext` inside it is shared,
so the dataset cache filled by one job serves the next. Jobs read it through `worker_context`,
never through loose `ctx[...]` keys.
"""

import asyncio
import os
import socket
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.config import Settings
from app.resources import Resources
from workers.pool import FitPool

CONTEXT_KEY = "tensorfleet"


@dataclass
class WorkerContext:
    resources: Resources
    pool: FitPool
    # Normalised dataset copies (Parquet bytes) by file id, oldest first (see
    # workers.training.load_dataset); the pool process parses them.
    dataset_cache: dict[str, bytes] = field(default_factory=dict)
    # Who ran a tuning trial (host, process, and this worker: tests run two in one process).
    name: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    )

    # Tuning searches' documents by id, as their trials read them, and the dataset version
    # each pinned (workers/tuning.py).
    searches: dict[str, dict[str, Any]] = field(default_factory=dict)
    search_versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Short work a job started to run beside the next jobs (a tuning step after a trial).
    background: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def close(self) -> None:
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*list(self.background), return_exceptions=True)
        self.pool.shutdown()
        await self.resources.close()


def worker_context(ctx: dict[str, Any]) -> WorkerContext:
    context: WorkerContext = ctx[CONTEXT_KEY]
    return context


def queue_job_id(ctx: dict[str, Any]) -> str:
    """The id arq runs this job under."""
    job_id: str = ctx["job_id"]
    return job_id


def job_attempt(ctx: dict[str, Any]) -> int:
    """Which try of the job this is (1 for the first), as arq counts them."""
    attempt: int = ctx["job_try"]
    return attempt
