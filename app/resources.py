"""The process-wide clients: one MongoDB client, its GridFS bucket and one arq Redis pool.

The API's lifespan and the worker's on_startup both open them here, so both processes talk to
the stores the same way.
"""

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pymongo
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from app.config import Settings, redact_url

logger = logging.getLogger(__name__)


class DependencyUnavailable(Exception):
    """A store named by a setting cannot be reached."""

    def __init__(self, setting: str, url: object, error: BaseException) -> None:
        self.setting = setting
        super().__init__(f"cannot reach {setting}={redact_url(url)}: {error}")


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    mongo: AsyncMongoClient
    db: AsyncDatabase
    gridfs: AsyncGridFSBucket
    redis: ArqRedis

    async def close(self) -> None:
        await self.redis.aclose()
        await self.mongo.close()


def redis_settings(settings: Settings) -> RedisSettings:
    return RedisSettings.from_dsn(str(settings.redis_url))


def mongo_client(settings: Settings) -> AsyncMongoClient:
    timeout_ms = int(settings.dependency_timeout_seconds * 1000)
    return AsyncMongoClient(
        str(settings.mongodb_url),
        tz_aware=True,
        serverSelectionTimeoutMS=max(timeout_ms, 5000),
        connectTimeoutMS=max(timeout_ms, 5000),
        appname="tensorfleet",
    )


async def open_resources(settings: Settings) -> Resources:
    """Connect to MongoDB and Redis, failing with DependencyUnavailable naming the setting."""
    mongo = mongo_client(settings)
    db = mongo[settings.mongodb_db]
    try:
        with pymongo.timeout(max(settings.dependency_timeout_seconds, 5.0)):
            await db.command("ping")
    except Exception as exc:
        await mongo.close()
        raise DependencyUnavailable("MONGODB_URL", settings.mongodb_url, exc) from None
    try:
        redis = await create_pool(
            redis_settings(settings), default_queue_name=settings.queue_name, retry=0
        )
    except Exception as exc:
        await mongo.close()
        raise DependencyUnavailable("REDIS_URL", settings.redis_url, exc) from None
    return Resources(settings, mongo, db, AsyncGridFSBucket(db), redis)


async def ensure_indexes(db: AsyncDatabase, indexes: Mapping[str, Iterable[IndexModel]]) -> None:
    """Create every index; existing ones with the same spec are left as they are.

    One index per command: FerretDB v1.24 drops the connection (a server-side panic) when a
    createIndexes command carrying two or more indexes finds them already there.
    """

    async def create(collection: str, models: Iterable[IndexModel]) -> None:
        for model in models:
            await db[collection].create_indexes([model])

    await asyncio.gather(*(create(name, models) for name, models in indexes.items()))
