"""Key management through the API: created once, stored hashed, listed without secrets,
revoked for good."""

import hashlib

import httpx
from pymongo import AsyncMongoClient

from app.config import Settings
from tests.samples import ADMIN, MakeKey, bearer


async def stored_keys(settings: Settings) -> list[dict]:
    mongo = AsyncMongoClient(str(settings.mongodb_url))
    try:
        return await mongo[settings.mongodb_db]["api_keys"].find({}).to_list()
    finally:
        await mongo.close()


async def test_a_created_key_is_shown_once_and_stored_only_as_a_hash(
    client: httpx.AsyncClient, make_key: MakeKey, settings: Settings
) -> None:
    created = await make_key("train", name="ci pipeline")
    key = created["key"]
    assert key.startswith("tf_") and len(key) >= 40
    assert created["prefix"] == key[:10] and created["scopes"] == ["train"]
    assert created["created_by"] == "bootstrap"
    (document,) = [d for d in await stored_keys(settings) if d["_id"] == created["id"]]
    assert document["hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(document)
    listing = (await client.get("/api/v1/keys", headers=ADMIN)).text
    assert created["id"] in listing and key not in listing and document["hash"] not in listing


async def test_a_new_admin_key_can_manage_keys_and_records_its_use(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    admin = await make_key("admin", name="second admin")
    response = await client.post(
        "/api/v1/keys",
        json={"name": "made-by-admin", "scopes": ["read"]},
        headers=bearer(admin["key"]),
    )
    assert response.status_code == 201
    assert response.json()["created_by"] == admin["id"]
    listing = (await client.get("/api/v1/keys", headers=ADMIN)).json()["items"]
    (entry,) = [k for k in listing if k["id"] == admin["id"]]
    assert entry["last_used_at"] is not None


async def test_a_revoked_key_stops_working_and_stays_listed_as_revoked(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    created = await make_key("read", name="leaked")
    headers = bearer(created["key"])
    assert (await client.get("/datasets", headers=headers)).status_code == 200
    assert (await client.delete(f"/api/v1/keys/{created['id']}", headers=ADMIN)).status_code == 204
    assert (await client.get("/datasets", headers=headers)).status_code == 401
    active = (await client.get("/api/v1/keys", headers=ADMIN)).json()["items"]
    assert created["id"] not in {k["id"] for k in active}
    everything = await client.get("/api/v1/keys?include_revoked=true", headers=ADMIN)
    (entry,) = [k for k in everything.json()["items"] if k["id"] == created["id"]]
    assert entry["revoked_at"] is not None
    again = await client.delete(f"/api/v1/keys/{created['id']}", headers=ADMIN)
    assert again.status_code == 204  # idempotent; revoked_at is kept


async def test_revoking_an_unknown_or_malformed_id(client: httpx.AsyncClient) -> None:
    assert (
        await client.delete("/api/v1/keys/k_0000000000000000", headers=ADMIN)
    ).status_code == 404
    assert (await client.delete("/api/v1/keys/$where", headers=ADMIN)).status_code == 422


async def test_key_requests_are_validated(client: httpx.AsyncClient) -> None:
    for body in (
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["root"]},
        {"name": "", "scopes": ["read"]},
        {"name": "$gt", "scopes": ["read"]},
        {"name": "x" * 65, "scopes": ["read"]},
        {"name": "x", "scopes": ["read"], "key": "tf_chosen-by-me"},
    ):
        response = await client.post("/api/v1/keys", json=body, headers=ADMIN)
        assert response.status_code == 422, body


async def test_a_train_key_cannot_make_itself_an_admin(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    trainer = await make_key("train")
    response = await client.post(
        "/api/v1/keys",
        json={"name": "escalate", "scopes": ["admin"]},
        headers=bearer(trainer["key"]),
    )
    assert response.status_code == 403
