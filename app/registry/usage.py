"""Which A/B endpoints name a model version (or an alias), asked before either is removed.

The registry owns this read of `endpoints` (by its `model` index) so that deleting a model does
not depend on the endpoints package, which depends on the registry. An endpoint names a version
directly, or through an alias that points at it, in a route or as its shadow.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from app.storage import ENDPOINTS


def names(target: dict[str, Any] | None, version: int, aliases: list[str]) -> bool:
    if not target:
        return False
    return target.get("version") == version or target.get("alias") in aliases


async def endpoints_using(
    db: AsyncDatabase, *, name: str, version: int, aliases: list[str]
) -> list[str]:
    """The endpoints (sorted) that route to this version or shadow it."""
    found = []
    async for endpoint in db[ENDPOINTS].find({"model": name}):
        targets = [*endpoint.get("routes", []), endpoint.get("shadow")]
        if any(names(target, version, aliases) for target in targets):
            found.append(endpoint["_id"])
    return sorted(found)


async def endpoints_through(db: AsyncDatabase, *, name: str, alias: str) -> list[str]:
    """The endpoints (sorted) that route or shadow through this alias."""
    found = []
    async for endpoint in db[ENDPOINTS].find({"model": name}):
        targets = [*endpoint.get("routes", []), endpoint.get("shadow")]
        if any(target and target.get("alias") == alias for target in targets):
            found.append(endpoint["_id"])
    return sorted(found)
