"""Every way to get an endpoint wrong is a 4xx naming the field: bad weights (negative, all
zero, not numbers), targets that are not exactly one of version or alias, versions that take
other columns (422); unknown endpoints, names, versions and aliases (404); a version or alias an
endpoint uses cannot be deleted (409)."""

from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from tests.endpoints.support import ENDPOINTS, ROW, put_endpoint, routes
from tests.samples import MakeModel


@pytest.fixture
async def pair(make_model: MakeModel) -> tuple[dict[str, Any], dict[str, Any]]:
    return await make_model(name="ab-bad"), await make_model(name="ab-bad")


@pytest.mark.parametrize(
    ("route_fields", "loc"),
    [
        ({"version": 1, "weight": -1}, ["body", "routes", 0, "weight"]),
        ({"version": 1, "weight": "10"}, ["body", "routes", 0, "weight"]),
        ({"version": 1, "weight": True}, ["body", "routes", 0, "weight"]),
        ({"version": 1, "weight": None}, ["body", "routes", 0, "weight"]),
        ({"version": 1}, ["body", "routes", 0, "weight"]),
        ({"version": 1, "alias": "prod", "weight": 1}, ["body", "routes", 0]),
        ({"weight": 1}, ["body", "routes", 0]),
        ({"alias": "1bad", "weight": 1}, ["body", "routes", 0, "alias"]),
    ],
)
async def test_a_bad_route_is_422_naming_it(
    client: httpx.AsyncClient, pair: tuple, route_fields: dict, loc: list
) -> None:
    body = {"model": "ab-bad", "routes": [route_fields]}
    response = await client.put(f"{ENDPOINTS}/bad", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert (await client.get(f"{ENDPOINTS}/bad")).status_code == 404


async def test_all_zero_weights_and_no_routes_are_422(
    client: httpx.AsyncClient, pair: tuple
) -> None:
    zero = await put_endpoint(client, "bad", model="ab-bad", routes=routes((1, 0), (2, 0)))
    assert zero.status_code == 422
    assert "at least one weight must be above 0" in zero.json()["detail"][0]["msg"]
    none = await put_endpoint(client, "bad", model="ab-bad", routes=[])
    assert none.json()["detail"][0]["loc"] == ["body", "routes"]


async def test_a_version_with_other_columns_is_422_naming_it(
    client: httpx.AsyncClient, pair: tuple, db: AsyncDatabase
) -> None:
    one, two = pair
    await db["models"].update_one({"_id": two["_id"]}, {"$set": {"features": ["a", "b"]}})
    response = await put_endpoint(
        client, "bad", model="ab-bad", routes=routes((one["version"], 1), (two["version"], 1))
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "routes", 1]
    assert "other input columns" in response.json()["detail"][0]["msg"]
    shadowed = await put_endpoint(
        client,
        "bad",
        model="ab-bad",
        routes=routes((one["version"], 1)),
        shadow={"version": two["version"]},
    )
    assert shadowed.json()["detail"][0]["loc"] == ["body", "shadow"]


@pytest.mark.parametrize(
    "body",
    [
        {"model": "no-such-model", "routes": [{"version": 1, "weight": 1}]},
        {"model": "ab-bad", "routes": [{"version": 99, "weight": 1}]},
        {"model": "ab-bad", "routes": [{"alias": "nope", "weight": 1}]},
        {"model": "ab-bad", "routes": [{"version": 1, "weight": 1}], "shadow": {"version": 99}},
    ],
)
async def test_unknown_names_versions_and_aliases_are_404(
    client: httpx.AsyncClient, pair: tuple, body: dict
) -> None:
    response = await client.put(f"{ENDPOINTS}/bad", json=body)
    assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", ""), ("DELETE", ""), ("GET", "/stats"), ("POST", "/predict")],
)
async def test_an_unknown_endpoint_is_404(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    body = ROW if method == "POST" else None
    response = await client.request(method, f"{ENDPOINTS}/nowhere{path}", json=body)
    assert response.status_code == 404
    assert "no endpoint 'nowhere'" in response.json()["detail"]


async def test_bad_rows_and_a_bad_routing_key_are_422(
    client: httpx.AsyncClient, pair: tuple
) -> None:
    one, _ = pair
    await put_endpoint(client, "rows", model="ab-bad", routes=routes((one["version"], 1)))
    rows = await client.post(f"{ENDPOINTS}/rows/predict", json={"inputs": [[1.0]]})
    assert rows.status_code == 422 and rows.json()["detail"][0]["loc"][:3] == ["body", "inputs", 0]
    long_key = {"X-Routing-Key": "k" * 257}
    keyed = await client.post(f"{ENDPOINTS}/rows/predict", json=ROW, headers=long_key)
    assert keyed.status_code == 422 and keyed.json()["detail"][0]["loc"] == [
        "header",
        "X-Routing-Key",
    ]
    stats = (await client.get(f"{ENDPOINTS}/rows/stats")).json()
    assert stats["versions"][0]["invalid_input"] == 1 and stats["versions"][0]["errors"] == 0


async def test_what_an_endpoint_uses_is_not_deleted_even_forced(
    client: httpx.AsyncClient, pair: tuple
) -> None:
    one, two = pair
    alias = "/api/v1/models/by-name/ab-bad/aliases/live"
    await client.put(alias, json={"version": two["version"]})
    body = {"model": "ab-bad", "routes": [{"version": one["version"], "weight": 1}]}
    body["shadow"] = {"alias": "live"}
    assert (await client.put(f"{ENDPOINTS}/uses", json=body)).is_success
    for model in (one, two):
        refused = await client.delete(f"/api/v1/models/{model['_id']}?force=true")
        assert refused.status_code == 409, refused.text
        assert refused.json()["endpoints"] == ["uses"]
    kept = await client.delete(alias)
    assert kept.status_code == 409 and kept.json()["endpoints"] == ["uses"]
    assert (await client.delete(f"{ENDPOINTS}/uses")).status_code == 204
    assert (await client.delete(alias)).status_code == 200
    assert (await client.delete(f"/api/v1/models/{one['_id']}")).status_code == 204
