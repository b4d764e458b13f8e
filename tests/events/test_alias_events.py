"""Every alias change (set, move, remove, removal by a forced delete) emits alias.changed, with
the versions it moved between; a set that changes nothing emits nothing."""

import json
from typing import Any

import httpx
from arq import Worker

from app.config import Settings
from tests.events.receiver import Receiver
from tests.events.support import MakeWebhook
from tests.samples import iris_model_bytes, publish
from tests.support import wait_for

ALIASES = "/api/v1/models/by-name/aliased/aliases"


async def changes(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]] | None:
        received = receiver.received()
        return [json.loads(r.body)["data"] for r in received] if len(received) >= count else None

    return await wait_for(arrived, timeout=30, interval=0.05)


def moves(data: list[dict[str, Any]]) -> list[tuple[str, int | None, int | None]]:
    return [(d["alias"], d["from_version"], d["to_version"]) for d in data]


async def test_alias_changes_are_announced(
    client: httpx.AsyncClient,
    settings: Settings,
    worker: Worker,
    receiver: Receiver,
    make_webhook: MakeWebhook,
) -> None:
    await make_webhook(receiver.url, ["alias.changed"])
    first = await publish(settings, iris_model_bytes(), name="aliased")
    second = await publish(settings, iris_model_bytes(), name="aliased")
    for version in (1, 1, 2):  # the repeated set changes nothing
        body = {"version": version, "warm": False}
        assert (await client.put(f"{ALIASES}/production", json=body)).status_code == 200
    assert (await client.put(f"{ALIASES}/staging", json={"version": 2})).status_code == 200
    assert (await client.delete(f"{ALIASES}/production")).status_code == 200
    forced = await client.delete(f"/api/v1/models/{second['_id']}", params={"force": "true"})
    assert forced.status_code == 200, forced.text
    data = await changes(receiver, 5)
    assert moves(data) == [
        ("production", None, 1),
        ("production", 1, 2),
        ("staging", None, 2),
        ("production", 2, None),
        ("staging", 2, None),
    ]
    assert data[0]["name"] == "aliased" and data[0]["model_id"] == str(first["_id"])
    assert data[1]["model_id"] == str(second["_id"]) and data[3]["model_id"] is None
    assert all(d["changed_at"] for d in data)
