"""The fixtures give each test module its own database, Redis database and queue."""

import redis.asyncio as aioredis
from pymongo import AsyncMongoClient

from tests.support import SettingsFactory, Stack


async def test_namespaces_do_not_share_data(
    settings_factory: SettingsFactory, stack: Stack
) -> None:
    first, second = settings_factory(), settings_factory()
    assert first.mongodb_db != second.mongodb_db
    assert first.redis_url != second.redis_url
    assert first.queue_name != second.queue_name

    mongo = AsyncMongoClient(stack.mongodb_url)
    one, two = aioredis.from_url(str(first.redis_url)), aioredis.from_url(str(second.redis_url))
    try:
        await mongo[first.mongodb_db]["marker"].insert_one({"_id": "first"})
        await one.set("marker", "first")
        assert await mongo[second.mongodb_db]["marker"].count_documents({}) == 0
        assert await two.get("marker") is None
    finally:
        await one.aclose()
        await two.aclose()
        await mongo.close()
