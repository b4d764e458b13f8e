"""Aliases through the sync and async clients and `tensorfleet aliases`, against a served API
(no worker: the models are published straight into its store)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from tensorfleet.client import AsyncTensorFleetClient, Conflict, NotFound, TensorFleetClient
from tests.client.support import Server, Tensorfleet, serve
from tests.samples import iris_model_bytes, publish

ROW = [[5.1, 3.5, 1.4, 0.2]]


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(settings, tmp_path_factory.mktemp("aliases"), with_worker=False) as served:
        yield served


async def versions(settings: Settings, name: str, count: int) -> list[dict[str, Any]]:
    return [await publish(settings, iris_model_bytes(), name=name) for _ in range(count)]


async def test_sync_client_sets_moves_reads_predicts_and_removes(
    server: Server, settings: Settings
) -> None:
    one, two = await versions(settings, "client-aliased", 2)
    with TensorFleetClient(server.url) as client:
        assert client.set_alias("client-aliased", "prod", one["version"]).from_version is None
        moved = client.set_alias("client-aliased", "prod", two["version"], warm=False)
        assert (moved.from_version, moved.to_version) == (one["version"], two["version"])
        assert client.aliased_model("client-aliased", "prod").id == str(two["_id"])
        answer = client.predict("client-aliased", ROW, alias="prod")
        assert (answer.model.version, answer.model.alias) == (two["version"], "prod")
        assert [a.alias for a in client.list_aliases("client-aliased").items] == ["prod"]
        with pytest.raises(Conflict) as refused:
            client.delete_model(str(two["_id"]))
        assert "prod" in refused.value.message
        deleted = client.delete_model(str(two["_id"]), force=True)
        assert deleted is not None and deleted.removed_aliases == ["prod"]
        history = client.alias_history("client-aliased", alias="prod")
        assert [c.to_version for c in history.items] == [None, two["version"], one["version"]]
        with pytest.raises(NotFound):
            client.remove_alias("client-aliased", "prod")


async def test_async_client_does_the_same(server: Server, settings: Settings) -> None:
    (model,) = await versions(settings, "async-aliased", 1)
    async with AsyncTensorFleetClient(server.url) as client:
        await client.set_alias("async-aliased", "live", model["version"])
        assert (await client.aliased_model("async-aliased", "live")).version == model["version"]
        answer = await client.predict("async-aliased", ROW, alias="live")
        assert answer.model.alias == "live"
        assert (await client.remove_alias("async-aliased", "live")).to_version is None
        assert (await client.list_aliases("async-aliased")).items == []
        assert len((await client.alias_history("async-aliased")).items) == 2


async def test_cli_aliases_commands(
    server: Server, settings: Settings, tensorfleet: Tensorfleet, tmp_path: Path
) -> None:
    one, two = await versions(settings, "cli-aliased", 2)
    url = ("--url", server.url)
    set_ = tensorfleet(*url, "aliases", "set", "cli-aliased", "prod", str(one["version"]))
    assert set_.code == 0 and f"cli-aliased@prod: - -> v{one['version']}" in set_.stdout
    tensorfleet(*url, "aliases", "set", "cli-aliased", "prod", str(two["version"]))
    listed = json.loads(tensorfleet(*url, "aliases", "list", "cli-aliased", "--json").stdout)
    assert [(a["alias"], a["version"]) for a in listed["items"]] == [("prod", two["version"])]
    rows = tmp_path / "rows.csv"
    rows.write_text("sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n")
    rows.write_text(rows.read_text() + "5.1,3.5,1.4,0.2\n")
    out = tmp_path / "out.csv"
    args = ("predict", "cli-aliased", "--alias", "prod", "--file", str(rows), "--out", str(out))
    predicted = tensorfleet(*url, *args)
    assert predicted.code == 0, predicted.stderr
    assert f"v{two['version']}" in predicted.stderr
    shown = tensorfleet(
        *url, "models", "show", "--name", "cli-aliased", "--alias", "prod", "--json"
    )
    assert json.loads(shown.stdout)["id"] == str(two["_id"])
    history = tensorfleet(*url, "aliases", "history", "cli-aliased")
    assert history.code == 0 and "Alias history of cli-aliased" in history.stdout
    refused = tensorfleet(*url, "models", "delete", str(two["_id"]), "--yes")
    assert refused.code == 1 and "aliases prod point at it" in refused.stderr
    forced = tensorfleet(*url, "models", "delete", str(two["_id"]), "--yes", "--force")
    assert forced.code == 0 and "and its aliases prod" in forced.stdout
    gone = tensorfleet(*url, "aliases", "rm", "cli-aliased", "prod")
    assert gone.code == 1 and "no alias 'prod'" in gone.stderr
