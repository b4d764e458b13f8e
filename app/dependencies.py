"""Annotated dependency aliases the routers use."""

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


def get_resources(request: Request) -> Resources:
    return request.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_db(resources: ResourcesDep) -> AsyncDatabase:
    return resources.db


def get_gridfs(resources: ResourcesDep) -> AsyncGridFSBucket:
    return resources.gridfs


def get_redis(resources: ResourcesDep) -> ArqRedis:
    return resources.redis


def get_inference(request: Request) -> Inference:
    """The process's serving state (model cache, predict threads), opened by the lifespan."""
    return request.state.inference


def get_job_watcher(request: Request) -> JobWatcher:
    """The process's subscription to job changes, opened by the lifespan."""
    return request.state.job_watcher


def get_app_settings(resources: ResourcesDep) -> Settings:
    return resources.settings


def get_cursor_codec(request: Request) -> CursorCodec:
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
