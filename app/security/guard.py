"""Who is calling and may they: a request's key checked against the bootstrap key and the
stored hashes, its scope against the route's, its rate against the limits."""

import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import HTTPException, status
from pymongo.asynchronous.database import AsyncDatabase

from app.config import Settings
from app.security import keys
from app.security.ratelimit import RateLimits
from app.security.schemas import Scope

logger = logging.getLogger(__name__)

UNAUTHENTICATED = "missing or invalid API key: send `Authorization: Bearer <key>` or `X-API-Key`"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a stored key, the bootstrap key, or anyone when auth is off."""

    key_id: str | None
    name: str
    scope: Scope

    @property
    def label(self) -> str:
        return f"key {self.key_id} ({self.name})" if self.key_id else self.name


ANONYMOUS = Principal(None, "anonymous (auth off)", Scope.admin)
BOOTSTRAP = Principal("bootstrap", "BOOTSTRAP_ADMIN_KEY", Scope.admin)


def unauthenticated() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, UNAUTHENTICATED, headers={"WWW-Authenticate": "Bearer"}
    )


def forbidden(needed: Scope) -> HTTPException:
    return HTTPException(
        status.HTTP_403_FORBIDDEN, f"this API key lacks the {needed.value!r} scope"
    )


def too_many(retry_after: int) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"rate limit exceeded; retry in {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )


@dataclass
class Guard:
    settings: Settings
    db: AsyncDatabase
    limits: RateLimits
    _touched_at: dict[str, datetime] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.settings.auth_enabled

    async def authenticate(self, key: str | None) -> Principal | None:
        """The key's principal; None for a missing, malformed, unknown or revoked key."""
        if not key or len(key) > keys.MAX_KEY_LENGTH:
            return None
        if self._is_bootstrap(key):  # any string of 32+ characters, not only tf_ keys
            return BOOTSTRAP
        if not keys.looks_like_a_key(key):
            return None
        document = await keys.find_active_key(self.db, key)
        if document is None:
            return None
        await self._touch(document["_id"])
        return Principal(document["_id"], document["name"], keys.highest_scope(document["scopes"]))

    def _is_bootstrap(self, key: str) -> bool:
        bootstrap = self.settings.bootstrap_admin_key
        return bootstrap is not None and hmac.compare_digest(
            keys.key_hash(key), keys.key_hash(bootstrap.get_secret_value())
        )

    async def _touch(self, key_id: str) -> None:
        """Record last use, at most once a minute per key and process."""
        now = keys.now()
        last = self._touched_at.get(key_id)
        if last is None or now - last >= keys.LAST_USED_EVERY:
            self._touched_at[key_id] = now
            await keys.touch(self.db, key_id, now)

    async def close(self) -> None:
        await self.limits.close()


async def open_guard(settings: Settings, db: AsyncDatabase) -> Guard:
    return Guard(settings, db, RateLimits(settings))
