"""Per-identity rate limits counted in Redis (the `limits` library's moving window), so a
limit holds across API replicas. A Redis outage does not block requests: limits fail open
for its length, logged, and the routes that need Redis answer 503 on their own."""

import logging
import math
import time

import redis.asyncio as aioredis
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.config import Settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "tensorfleet:ratelimit"
WARN_EVERY_SECONDS = 30.0


def parse(notation: str) -> list[RateLimitItem]:
    return parse_many(notation) if notation else []


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.default = parse(settings.rate_limit)
        self.train = parse(settings.rate_limit_train)
        self._pool: aioredis.ConnectionPool | None = None
        self._limiter: MovingWindowRateLimiter | None = None
        self._warned_at = -math.inf
        if self.default or self.train:
            url = str(settings.redis_url)
            self._pool = aioredis.ConnectionPool.from_url(
                url, socket_connect_timeout=1.0, socket_timeout=1.0
            )
            storage = RedisStorage(
                f"async+{url}",
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                # limits types its storage options as scalars; redis-py takes this pool as is.
                connection_pool=self._pool,  # type: ignore[arg-type]
            )
            self._limiter = MovingWindowRateLimiter(storage)

    async def retry_after(self, identity: str, *, train: bool = False) -> int | None:
        """Count one request; the seconds to wait when a limit is exceeded, else None."""
        if self._limiter is None:
            return None
        items = [(i, identity) for i in self.default]
        items += [(i, f"{identity}:train") for i in (self.train if train else [])]
        try:
            for item, key in items:
                if not await self._limiter.hit(item, key):
                    stats = await self._limiter.get_window_stats(item, key)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except (aioredis.RedisError, OSError) as exc:
            self._warn_unavailable(exc)
        return None

    def _warn_unavailable(self, exc: Exception) -> None:
        if time.monotonic() - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = time.monotonic()
            logger.warning("rate limits not enforced while Redis is unavailable: %s", exc)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
