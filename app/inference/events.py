"""Deleted models leave every API process's cache: a Redis pub/sub channel per database.

The process that deletes a model publishes its id; every API process (itself included)
listens and evicts it, so a deleted model stops answering everywhere within a round trip
(measured in tests/inference: milliseconds). Pub/sub does not replay what a disconnected
listener missed, so while the listener is not subscribed the cache is marked untrusted and
each prediction first checks that its model still exists; on every (re)subscription the cache
is cleared, as deletions may have been missed in between.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from app.inference.cache import ModelCache

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


def deletions_channel(database: str) -> str:
    """One channel per MongoDB database: the models it names live there."""
    return f"tensorfleet:{database}:models:deleted"


async def publish_deletion(redis: Redis, database: str, model_id: str) -> None:
    try:
        await redis.publish(deletions_channel(database), model_id)
    except Exception as exc:  # listeners that missed it are untrusted and check the store
        logger.warning("could not announce deletion of model %s: %s", model_id, exc)


async def _listen_once(redis: Redis, channel: str, cache: ModelCache) -> None:
    async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(channel)
        cache.clear()
        cache.trusted = True
        while True:
            message = await pubsub.get_message(timeout=5.0)
            if message is not None and message.get("type") == "message":
                data = message["data"]
                cache.invalidate(data.decode() if isinstance(data, bytes) else str(data))


async def listen_for_deletions(redis: Redis, database: str, cache: ModelCache) -> None:
    """Run until cancelled, resubscribing after any failure."""
    channel = deletions_channel(database)
    while True:
        try:
            await _listen_once(redis, channel, cache)
        except asyncio.CancelledError:
            cache.trusted = False
            raise
        except Exception as exc:
            cache.trusted = False
            logger.warning("model deletion listener lost Redis (%s); retrying", exc)
            await asyncio.sleep(RETRY_SECONDS)


@contextlib.asynccontextmanager
async def deletion_listener(
    redis: Redis, database: str, cache: ModelCache
) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(listen_for_deletions(redis, database, cache))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
