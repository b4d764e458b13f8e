"""A/B endpoints route by weight: the observed split of a few thousand requests lies within a
binomial bound of the weights, a routing key always reaches the same version, a weight change
is seen whole, an alias route follows its alias, and the answer names the endpoint and version.
"""

import asyncio
import math

import httpx

from app.endpoints.routing import key_place, pick
from tensorfleet.schemas.endpoints import Route
from tests.endpoints.support import ENDPOINTS, ROW, put_endpoint, routes, served_version
from tests.samples import MakeModel

REQUESTS = 2000
BATCH = 50  # requests in flight at once


async def split(client: httpx.AsyncClient, name: str, requests: int) -> list[int]:
    served: list[int] = []
    for _ in range(requests // BATCH):
        served += await asyncio.gather(*(served_version(client, name) for _ in range(BATCH)))
    return served


async def test_the_observed_split_is_within_a_binomial_bound_of_the_weights(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    one, two = await make_model(name="ab-split"), await make_model(name="ab-split")
    weights = routes((one["version"], 80), (two["version"], 20))
    assert (await put_endpoint(client, "split", model="ab-split", routes=weights)).is_success
    served = await split(client, "split", REQUESTS)
    share = served.count(two["version"]) / REQUESTS
    # Each request goes to v2 with p = 0.2: the count is binomial, its standard deviation
    # sqrt(p (1 - p) / n) = 0.0089 of the share; 5 of them are missed once in ~1.7 million runs.
    bound = 5 * math.sqrt(0.2 * 0.8 / REQUESTS)
    assert abs(share - 0.2) <= bound, (share, bound)
    assert set(served) == {one["version"], two["version"]}
    stats = (await client.get(f"{ENDPOINTS}/split/stats")).json()
    counted = {v["version"]: v["requests"] for v in stats["versions"] if v["role"] == "route"}
    assert counted == {
        one["version"]: served.count(one["version"]),
        two["version"]: served.count(two["version"]),
    }
    assert stats["requests"] == REQUESTS
    assert all(v["errors"] == 0 and v["mean_latency_ms"] > 0 for v in stats["versions"])


async def test_a_routing_key_always_reaches_the_same_version(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    one, two = await make_model(name="ab-sticky"), await make_model(name="ab-sticky")
    weights = routes((one["version"], 50), (two["version"], 50))
    await put_endpoint(client, "sticky", model="ab-sticky", routes=weights)
    chosen: dict[str, set[int]] = {}
    for user in range(40):
        for _ in range(5):
            version = await served_version(client, "sticky", key=f"user-{user}")
            chosen.setdefault(f"user-{user}", set()).add(version)
    assert all(len(versions) == 1 for versions in chosen.values()), chosen
    # 40 keys at 50/50 all on one side: once in 2**39 runs.
    assert set().union(*chosen.values()) == {one["version"], two["version"]}


def test_a_key_keeps_its_route_on_every_process_and_weight_zero_gets_nothing() -> None:
    """The place is a hash of (endpoint, key) alone; routes of weight 0 hold no span."""
    assert key_place("e", "user-1") == key_place("e", "user-1") != key_place("f", "user-1")
    laid = [Route(version=1, weight=0), Route(version=2, weight=3), Route(version=3, weight=1)]
    assert [pick(laid, place).version for place in (0.0, 0.5, 0.74, 0.75, 0.99999)] == [
        2,
        2,
        2,
        3,
        3,
    ]


async def test_a_weight_change_is_seen_whole(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    one, two = await make_model(name="ab-flip"), await make_model(name="ab-flip")
    for weights, want in (((100, 0), one), ((0, 100), two)):
        pairs = ((one["version"], weights[0]), (two["version"], weights[1]))
        await put_endpoint(client, "flip", model="ab-flip", routes=routes(*pairs))
        served = await asyncio.gather(*(served_version(client, "flip") for _ in range(30)))
        assert set(served) == {want["version"]}


async def test_weight_changes_under_traffic_never_fail_a_request(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    one, two = await make_model(name="ab-busy"), await make_model(name="ab-busy")
    flipping = True
    answers: list[int] = []

    async def caller() -> None:
        while flipping:
            answer = await client.post(f"{ENDPOINTS}/busy/predict", json=ROW)
            answers.append(answer.status_code)

    await put_endpoint(client, "busy", model="ab-busy", routes=routes((one["version"], 1)))
    callers = [asyncio.create_task(caller()) for _ in range(4)]
    for flip in range(20):
        pairs = ((one["version"], flip % 2), (two["version"], 1 - flip % 2))
        assert (
            await put_endpoint(client, "busy", model="ab-busy", routes=routes(*pairs))
        ).is_success
        await asyncio.sleep(0)
    flipping = False
    await asyncio.gather(*callers)
    assert answers and set(answers) == {200}


async def test_an_alias_route_follows_its_alias(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    one, two = await make_model(name="ab-alias"), await make_model(name="ab-alias")
    alias_path = "/api/v1/models/by-name/ab-alias/aliases/champion"
    await client.put(alias_path, json={"version": one["version"]})
    body = {"model": "ab-alias", "routes": [{"alias": "champion", "weight": 1}]}
    assert (await client.put(f"{ENDPOINTS}/follow", json=body)).is_success
    answer = (await client.post(f"{ENDPOINTS}/follow/predict", json=ROW)).json()
    assert answer["endpoint"] == "follow"
    assert answer["model"] == {
        "id": str(one["_id"]),
        "name": "ab-alias",
        "version": one["version"],
        "alias": "champion",
    }
    await client.put(alias_path, json={"version": two["version"]})
    assert await served_version(client, "follow") == two["version"]


async def test_endpoints_list_read_and_delete(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(name="ab-crud")
    await put_endpoint(client, "crud", model="ab-crud", routes=routes((model["version"], 1)))
    read = (await client.get(f"{ENDPOINTS}/crud")).json()
    assert (read["name"], read["model"], read["routes"][0]["weight"]) == ("crud", "ab-crud", 1.0)
    assert "crud" in [e["name"] for e in (await client.get(ENDPOINTS)).json()["items"]]
    await served_version(client, "crud")
    exposition = (await client.get("/metrics")).text  # labels in alphabetical order
    version = f'version="{model["version"]}"'
    assert (
        f'endpoint_requests_total{{endpoint="crud",outcome="ok",role="route",{version}}}'
        in exposition
    )
    assert f'endpoint_request_seconds_count{{endpoint="crud",role="route",{version}}}' in exposition
    assert (await client.delete(f"{ENDPOINTS}/crud")).status_code == 204
    assert (await client.get(f"{ENDPOINTS}/crud")).status_code == 404
    assert (await client.post(f"{ENDPOINTS}/crud/predict", json=ROW)).status_code == 404
    # A new endpoint of the same name starts with fresh stats.
    await put_endpoint(client, "crud", model="ab-crud", routes=routes((model["version"], 1)))
    assert (await client.get(f"{ENDPOINTS}/crud/stats")).json()["requests"] == 0
