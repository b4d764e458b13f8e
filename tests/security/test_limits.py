"""Rate limits counted in Redis, shared by every replica; the body limit; identifiers and
operators refused before they reach MongoDB."""

import base64
import json

import httpx

from app.config import Settings
from tests.samples import ADMIN, BOOTSTRAP_KEY, MakeKey, bearer
from tests.support import SettingsFactory, replica


async def test_a_key_limit_holds_across_replicas_with_retry_after(
    settings: Settings, make_key: MakeKey
) -> None:
    limited = settings.model_copy(update={"rate_limit": "5/minute"})
    key = bearer((await make_key("read"))["key"])
    other = bearer((await make_key("read"))["key"])
    async with replica(limited) as first, replica(limited) as second:
        codes = [
            (await (first, second)[i % 2].get("/datasets", headers=key)).status_code
            for i in range(5)
        ]
        assert codes == [200] * 5
        refused = await second.get("/datasets", headers=key)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert (await first.get("/datasets", headers=other)).status_code == 200


async def test_open_mode_limits_per_client_address(settings_factory: SettingsFactory) -> None:
    limited = settings_factory(rate_limit="3/minute")
    async with replica(limited, "10.0.0.7") as one, replica(limited, "10.0.0.8") as two:
        assert [(await one.get("/algorithms")).status_code for _ in range(3)] == [200] * 3
        assert (await one.get("/algorithms")).status_code == 429
        assert (await two.get("/algorithms")).status_code == 200


async def test_training_submissions_have_their_own_limit(
    settings: Settings, make_key: MakeKey
) -> None:
    limited = settings.model_copy(
        update={"rate_limit": "100/minute", "rate_limit_train": "1/minute"}
    )
    key = bearer((await make_key("train"))["key"])
    async with replica(limited) as http:
        first = await http.post("/train", json={}, headers=key)
        assert first.status_code == 422  # counted, then refused as invalid
        assert (await http.post("/train", json={}, headers=key)).status_code == 429
        assert (await http.get("/jobs", headers=key)).status_code == 200


async def test_bad_keys_are_limited_by_address(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit": "2/minute"})
    async with replica(limited, "10.0.0.9") as http:
        codes = [
            (await http.get("/jobs", headers=bearer("tf_" + "z" * 43))).status_code
            for _ in range(3)
        ]
        assert codes == [401, 401, 429]


async def test_requests_are_counted_before_their_body_is_parsed(settings: Settings) -> None:
    """A body that fails to parse, with a bad key, a good key, or with no key at all, still
    counts: sending malformed JSON is not a way around the limit."""
    limited = settings.model_copy(update={"rate_limit": "3/minute", "rate_limit_train": ""})
    broken = {"content": b"{not json", "headers": {"content-type": "application/json"}}
    async with replica(limited, "10.0.0.10") as http:
        codes = [(await http.post("/train", **broken)).status_code for _ in range(3)]
        assert codes == [401, 401, 401]  # no key: refused before the body is read
        assert (await http.post("/train", **broken)).status_code == 429
    async with replica(limited, "10.0.0.11") as http:
        codes = [
            (
                await http.post("/train", **broken | {"headers": broken["headers"] | ADMIN})
            ).status_code
            for _ in range(4)
        ]
        assert codes == [422, 422, 422, 429]


async def test_broken_submissions_count_against_the_training_limit(
    settings_factory: SettingsFactory,
) -> None:
    limited = settings_factory(rate_limit_train="2/minute")
    async with replica(limited, "10.0.0.12") as http:
        broken = {"content": b"[", "headers": {"content-type": "application/json"}}
        codes = [(await http.post("/train", **broken)).status_code for _ in range(3)]
        assert codes == [422, 422, 429]
        assert (await http.get("/jobs")).status_code == 200


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient, settings: Settings) -> None:
    big = b'{"name": "' + b"x" * settings.max_body_bytes + b'", "scopes": ["read"]}'
    response = await client.post(
        "/api/v1/keys", content=big, headers=ADMIN | {"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]

    async def chunked():
        for _ in range(settings.max_body_bytes // 4096 + 2):
            yield b" " * 4096

    response = await client.post(
        "/api/v1/keys", content=chunked(), headers=ADMIN | {"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_operators_and_odd_identifiers_never_reach_a_query(
    client: httpx.AsyncClient,
) -> None:
    seed = {"dataset_name": "iris", "algorithm": "random_forest", "model_name": "m"}
    for body in (
        seed | {"hyperparameters": {"$where": "sleep(1000)"}},
        seed | {"hyperparameters": {"a.b": 1}},
        seed | {"hyperparameters": {"max_depth": {"$gt": 1}}},
        seed | {"hyperparameters": {"max_depth": [[1]]}},
        seed | {"model_name": "../../etc/passwd"},
        seed | {"dataset_name": {"$ne": None}},
        seed | {"job_id": "x" * 65},
    ):
        response = await client.post("/train", json=body, headers=ADMIN)
        assert response.status_code == 422, body
    for path in (
        "/api/v1/models?name=%24ne",
        "/api/v1/models?algorithm=" + "a" * 200,
        "/api/v1/models/by-name/%24where/latest",
        "/jobs/%24where",
        "/datasets/..%2Fx",
    ):
        response = await client.get(path, headers=ADMIN)
        assert response.status_code in (404, 422), path
    forged = {"s": "created_at", "o": "desc", "v": {"$gt": ""}, "i": {"$oid": "0" * 24}}
    token = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    response = await client.get(f"/api/v1/models?after={token}", headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "after"]


def test_bootstrap_key_is_long(settings: Settings) -> None:
    assert len(BOOTSTRAP_KEY) >= 32
    assert "**" in repr(settings.bootstrap_admin_key)
