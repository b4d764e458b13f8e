"""Reading one model: by id, the latest version of a name, a given version of a name."""

import httpx
import pytest
from bson import ObjectId

from tests.samples import MakeModel


async def test_read_by_id_returns_the_metadata(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(name="reader", algorithm="decision_tree")
    response = await client.get(f"/api/v1/models/{model['_id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(model["_id"])
    assert (body["name"], body["version"], body["algorithm"]) == ("reader", 1, "decision_tree")
    assert body["file_id"] == str(model["file_id"])
    assert body["sha256"] == model["sha256"] and body["size"] == model["size"]
    assert body["features"][0] == "sepal length (cm)"


@pytest.mark.parametrize("model_id", ["not-an-id", "123", str(ObjectId()), "zz" * 12])
async def test_malformed_and_unknown_ids_are_404_with_a_message(
    client: httpx.AsyncClient, model_id: str
) -> None:
    for path in ("", "/download"):
        response = await client.get(f"/api/v1/models/{model_id}{path}")
        assert response.status_code == 404
        assert model_id in response.json()["detail"]


async def test_latest_and_given_version_of_a_name(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    models = [await make_model(name="churn") for _ in range(3)]
    await make_model(name="other")
    latest = (await client.get("/api/v1/models/by-name/churn/latest")).json()
    assert (latest["id"], latest["version"]) == (str(models[2]["_id"]), 3)
    second = (await client.get("/api/v1/models/by-name/churn/versions/2")).json()
    assert (second["id"], second["version"]) == (str(models[1]["_id"]), 2)


@pytest.mark.parametrize(
    "path", ["/by-name/nobody/latest", "/by-name/churn/versions/99", "/by-name/nobody/versions/1"]
)
async def test_unknown_name_or_version_is_404(
    client: httpx.AsyncClient, make_model: MakeModel, path: str
) -> None:
    await make_model(name="churn")
    response = await client.get(f"/api/v1/models{path}")
    assert response.status_code == 404
    assert "no model named" in response.json()["detail"]


async def test_version_below_one_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/models/by-name/churn/versions/0")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "version"]
