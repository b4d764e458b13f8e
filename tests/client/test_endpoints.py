"""A/B endpoints through the sync and async clients and `tensorfleet endpoints`, against a
served API (no worker: the models are published straight into its store)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.config import Settings
from tensorfleet.client import AsyncTensorFleetClient, NotFound, TensorFleetClient
from tests.client.support import Server, Tensorfleet, serve
from tests.samples import iris_model_bytes, publish

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3]]


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(settings, tmp_path_factory.mktemp("endpoints"), with_worker=False) as served:
        yield served


async def versions(settings: Settings, name: str, count: int) -> list[dict[str, Any]]:
    return [await publish(settings, iris_model_bytes(), name=name) for _ in range(count)]


async def test_sync_client_sets_predicts_reads_stats_and_removes(
    server: Server, settings: Settings
) -> None:
    one, two = await versions(settings, "client-ab", 2)
    routes = [{"version": one["version"], "weight": 1}, {"version": two["version"], "weight": 1}]
    with TensorFleetClient(server.url) as client:
        made = client.put_endpoint("client-ab", model="client-ab", routes=routes)
        assert [r.version for r in made.routes] == [one["version"], two["version"]]
        served = {
            client.predict_endpoint("client-ab", ROWS, routing_key="user-7").model.version
            for _ in range(5)
        }
        assert len(served) == 1  # sticky
        assert client.get_endpoint("client-ab").model == "client-ab"
        assert [e.name for e in client.list_endpoints().items] == ["client-ab"]
        stats = client.endpoint_stats("client-ab")
        assert stats.requests == 5 and stats.versions[0].share == 1.0
        with pytest.raises(ValidationError):
            client.put_endpoint("x", model="client-ab", routes=[{"version": 1, "weight": -1}])
        client.delete_endpoint("client-ab")
        with pytest.raises(NotFound):
            client.endpoint_stats("client-ab")


async def test_async_client_does_the_same(server: Server, settings: Settings) -> None:
    (model,) = await versions(settings, "async-ab", 1)
    async with AsyncTensorFleetClient(server.url) as client:
        routes = [{"version": model["version"], "weight": 3}]
        await client.put_endpoint("async-ab", model="async-ab", routes=routes)
        answer = await client.predict_endpoint("async-ab", ROWS, probabilities=True)
        assert answer.endpoint == "async-ab" and answer.probabilities is not None
        assert (await client.endpoint_stats("async-ab")).requests == 1
        await client.delete_endpoint("async-ab")
        assert (await client.list_endpoints()).items == []


async def test_cli_endpoints_commands(
    server: Server, settings: Settings, tensorfleet: Tensorfleet, tmp_path: Path
) -> None:
    one, two = await versions(settings, "cli-ab", 2)
    url = ("--url", server.url)
    tensorfleet(*url, "aliases", "set", "cli-ab", "champion", str(one["version"]))
    route_args = ("--route", "champion=90", "--route", f"{two['version']}=10")
    made = tensorfleet(
        *url,
        "endpoints",
        "set",
        "cli-ab",
        "--model",
        "cli-ab",
        *route_args,
        "--shadow",
        str(two["version"]),
    )
    assert made.code == 0, made.stderr
    assert "@champion x90" in made.stdout and f"v{two['version']} x10" in made.stdout
    bad = tensorfleet(*url, "endpoints", "set", "x", "--model", "cli-ab", "--route", "1=-5")
    assert bad.code == 2 and "weight" in bad.stderr
    malformed = tensorfleet(*url, "endpoints", "set", "x", "--model", "cli-ab", "--route", "1")
    assert malformed.code == 2 and "TARGET=WEIGHT" in malformed.stderr
    rows = tmp_path / "rows.csv"
    header = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)"
    rows.write_text(f"{header}\n5.1,3.5,1.4,0.2\n")
    predicted = tensorfleet(
        *url, "endpoints", "predict", "cli-ab", "--file", str(rows), "--routing-key", "u1"
    )
    assert predicted.code == 0, predicted.stderr
    assert predicted.stdout.splitlines()[0] == "prediction"
    assert "1 predictions through cli-ab" in predicted.stderr
    stats = json.loads(tensorfleet(*url, "endpoints", "stats", "cli-ab", "--json").stdout)
    assert stats["requests"] == 1
    table = tensorfleet(*url, "endpoints", "stats", "cli-ab")
    assert table.code == 0 and "Endpoint cli-ab" in table.stdout
    listed = tensorfleet(*url, "endpoints", "list")
    assert "cli-ab" in listed.stdout
    assert tensorfleet(*url, "endpoints", "rm", "cli-ab").code == 0
    gone = tensorfleet(*url, "endpoints", "show", "cli-ab")
    assert gone.code == 1 and "no endpoint 'cli-ab'" in gone.stderr
