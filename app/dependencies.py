"""Annotated dependency aliases the routers use.

Each is `async def` though it awaits nothing: FastAPI runs a plain `def` dependency in its
thread pool, a thread hand-off (and a GIL hand-back) per request to read one attribute; on the
predict path that was the request's only thread hop (bench/RESULTS.md, "Profile of the predict
path")."""

from dataclasses import dataclass
from typing import Annotated

from arq.connections import ArqRedis
from fastapi import Depends, Request
from gridfs import AsyncGridFSBucket
from pymongo.asynchronous.database import AsyncDatabase

from app.config import Settings
from app.events.live import JobWatcher
from app.inference.service import Inference
from app.registry.cursors import CursorCodec
from app.resources import Resources
from app.security.deps import CallerDep


async def get_resources(request: Request) -> Resources:
    return request.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_db(resources: ResourcesDep) -> AsyncDatabase:
    return resources.db


async def get_gridfs(resources: ResourcesDep) -> AsyncGridFSBucket:
    return resources.gridfs


async def get_redis(resources: ResourcesDep) -> ArqRedis:
    return resources.redis


async def get_inference(request: Request) -> Inference:
    """The process's serving state (model cache, predict threads), opened by the lifespan."""
    return request.state.inference


async def get_job_watcher(request: Request) -> JobWatcher:
    """The process's subscription to job changes, opened by the lifespan."""
    return request.state.job_watcher


async def get_app_settings(resources: ResourcesDep) -> Settings:
    return resources.settings


async def get_cursor_codec(request: Request) -> CursorCodec:
    return request.state.cursors


DatabaseDep = Annotated[AsyncDatabase, Depends(get_db)]
GridFSDep = Annotated[AsyncGridFSBucket, Depends(get_gridfs)]
RedisDep = Annotated[ArqRedis, Depends(get_redis)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
InferenceDep = Annotated[Inference, Depends(get_inference)]
CursorCodecDep = Annotated[CursorCodec, Depends(get_cursor_codec)]
JobWatcherDep = Annotated[JobWatcher, Depends(get_job_watcher)]


@dataclass(frozen=True)
class JobContext:
    """What every job submission (training, tuning, batch prediction, evaluation) hands its
    service: the store, the queue, the settings, and the owner the per-key cap counts."""

    db: AsyncDatabase
    redis: ArqRedis
    settings: Settings
    owner: str


async def get_job_context(
    db: DatabaseDep, redis: RedisDep, settings: SettingsDep, caller: CallerDep
) -> JobContext:
    return JobContext(db=db, redis=redis, settings=settings, owner=caller.identity)


JobContextDep = Annotated[JobContext, Depends(get_job_context)]
