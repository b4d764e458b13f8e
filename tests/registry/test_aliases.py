"""Aliases through the API with auth on: set, move, remove, list, history with who and when;
an alias wherever a version is named (get, download, predict); a version an alias points at is
not deleted unless forced; moves under concurrent predictions never fail a request; models
stored before aliases existed keep working."""

import asyncio
import hashlib
import itertools
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from app.config import Settings
from app.metrics import MODEL_CACHE_EVENTS
from app.storage import ENDPOINTS, MODEL_ALIAS_HISTORY, MODEL_ALIASES
from tests.samples import ADMIN, BOOTSTRAP_KEY, MakeModel, bearer
from tests.support import SettingsFactory

BODY = {"inputs": [[5.1, 3.5, 1.4, 0.2]]}


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=True, bootstrap_admin_key=BOOTSTRAP_KEY)


@pytest.fixture(scope="module")
async def trainer(client: httpx.AsyncClient) -> dict[str, Any]:
    """A train key: enough to set and remove aliases."""
    body = {"name": "release-bot", "scopes": ["train"]}
    response = await client.post("/api/v1/keys", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def aliases_path(name: str, rest: str = "") -> str:
    return f"/api/v1/models/by-name/{name}/aliases{rest}"


async def put_alias(
    client: httpx.AsyncClient, key: dict, name: str, alias: str, version: int
) -> httpx.Response:
    path = aliases_path(name, f"/{alias}")
    return await client.put(path, json={"version": version}, headers=bearer(key["key"]))


async def test_set_move_remove_each_recorded_with_who_and_when(
    client: httpx.AsyncClient, make_model: MakeModel, trainer: dict
) -> None:
    one, two = await make_model(name="churn"), await make_model(name="churn")
    created = await put_alias(client, trainer, "churn", "production", one["version"])
    assert created.status_code == 200, created.text
    assert created.json()["from_version"] is None
    assert created.json()["to_version"] == one["version"]
    assert created.json()["by"] == trainer["id"]
    moved = (await put_alias(client, trainer, "churn", "production", two["version"])).json()
    assert (moved["from_version"], moved["to_version"]) == (one["version"], two["version"])
    assert moved["model_id"] == str(two["_id"])
    listed = (await client.get(aliases_path("churn"), headers=ADMIN)).json()["items"]
    assert [(a["alias"], a["version"], a["model_id"]) for a in listed] == [
        ("production", two["version"], str(two["_id"]))
    ]
    removed = await client.delete(
        aliases_path("churn", "/production"), headers=bearer(trainer["key"])
    )
    assert removed.json()["to_version"] is None and removed.json()["model_id"] is None
    history = await client.get("/api/v1/models/by-name/churn/alias-history", headers=ADMIN)
    steps = [(c["from_version"], c["to_version"], c["by"]) for c in history.json()["items"]]
    assert steps == [
        (two["version"], None, trainer["id"]),
        (one["version"], two["version"], trainer["id"]),
        (None, one["version"], trainer["id"]),
    ]
    assert (await client.get(aliases_path("churn"), headers=ADMIN)).json()["items"] == []


async def test_setting_the_same_version_again_records_nothing(
    client: httpx.AsyncClient, make_model: MakeModel, trainer: dict
) -> None:
    model = await make_model(name="steady")
    for _ in range(2):
        assert (await put_alias(client, trainer, "steady", "prod", model["version"])).is_success
    history = await client.get("/api/v1/models/by-name/steady/alias-history", headers=ADMIN)
    assert len(history.json()["items"]) == 1


async def test_an_alias_names_a_version_in_get_download_and_predict(
    client: httpx.AsyncClient, make_model: MakeModel, trainer: dict
) -> None:
    one, _ = await make_model(name="fraud"), await make_model(name="fraud")
    await put_alias(client, trainer, "fraud", "champion", one["version"])
    read = await client.get(aliases_path("fraud", "/champion"), headers=ADMIN)
    assert (read.json()["id"], read.json()["version"]) == (str(one["_id"]), one["version"])
    got = await client.get(aliases_path("fraud", "/champion/download"), headers=ADMIN)
    assert got.headers["x-model-version"] == str(one["version"])
    assert hashlib.sha256(got.content).hexdigest() == one["sha256"]
    head = await client.head(aliases_path("fraud", "/champion/download"), headers=ADMIN)
    assert head.headers["x-model-id"] == str(one["_id"])
    answer = await client.post(aliases_path("fraud", "/champion/predict"), json=BODY, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert answer.json()["model"] == {
        "id": str(one["_id"]),
        "name": "fraud",
        "version": one["version"],
        "alias": "champion",
    }


@pytest.mark.parametrize(
    ("method", "rest"),
    [
        ("GET", ""),
        ("GET", "/nope"),
        ("DELETE", "/nope"),
        ("GET", "/nope/download"),
        ("POST", "/nope/predict"),
    ],
)
async def test_unknown_names_and_aliases_are_404(
    client: httpx.AsyncClient, make_model: MakeModel, method: str, rest: str
) -> None:
    await make_model(name="known")
    for name in ("known", "unknown-name"):
        if name == "known" and rest == "":
            continue
        body = BODY if method == "POST" else None
        response = await client.request(method, aliases_path(name, rest), json=body, headers=ADMIN)
        assert response.status_code == 404, (name, response.text)


async def test_an_unknown_version_is_404_and_sets_nothing(
    client: httpx.AsyncClient, make_model: MakeModel, trainer: dict
) -> None:
    await make_model(name="short")
    response = await put_alias(client, trainer, "short", "prod", 99)
    assert response.status_code == 404
    assert "version 99" in response.json()["detail"]
    assert (await client.get(aliases_path("short"), headers=ADMIN)).json()["items"] == []


@pytest.mark.parametrize("alias", ["1st", "with.dot", "-dash", "x" * 65, "a%20b"])
async def test_a_bad_alias_is_422_naming_it(
    client: httpx.AsyncClient, make_model: MakeModel, trainer: dict, alias: str
) -> None:
    model = await make_model(name="strict")
    response = await put_alias(client, trainer, "strict", alias, model["version"])
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path", "alias"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"version": 0}, "version"), ({"version": "x"}, "version"), ({}, "version")],
)
async def test_a_bad_version_is_422_naming_it(
    client: httpx.AsyncClient, trainer: dict, body: dict, field: str
) -> None:
    path = aliases_path("strict", "/prod")
    response = await client.put(path, json=body, headers=bearer(trainer["key"]))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


async def test_a_read_key_cannot_move_an_alias(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(name="guarded")
    body = {"name": "reader", "scopes": ["read"]}
    reader = (await client.post("/api/v1/keys", json=body, headers=ADMIN)).json()
    response = await put_alias(client, reader, "guarded", "prod", model["version"])
    assert response.status_code == 403
    assert "train" in response.json()["detail"]


async def test_deleting_an_aliased_version_is_refused_unless_forced(
    client: httpx.AsyncClient, make_model: MakeModel, trainer: dict
) -> None:
    model = await make_model(name="doomed")
    for alias in ("prod", "canary"):
        await put_alias(client, trainer, "doomed", alias, model["version"])
    refused = await client.delete(f"/api/v1/models/{model['_id']}", headers=ADMIN)
    assert refused.status_code == 409
    assert refused.json()["aliases"] == ["canary", "prod"]
    assert "canary, prod" in refused.json()["detail"]
    assert (await client.get(f"/api/v1/models/{model['_id']}", headers=ADMIN)).status_code == 200
    forced = await client.delete(f"/api/v1/models/{model['_id']}?force=true", headers=ADMIN)
    assert forced.status_code == 200, forced.text
    assert forced.json()["removed_aliases"] == ["canary", "prod"]
    assert (await client.get(aliases_path("doomed"), headers=ADMIN)).status_code == 404
    history = await client.get("/api/v1/models/by-name/doomed/alias-history", headers=ADMIN)
    assert [c["to_version"] for c in history.json()["items"][:2]] == [None, None]


async def test_alias_moves_under_concurrent_predictions_never_fail_one(
    client: httpx.AsyncClient, make_model: MakeModel, trainer: dict
) -> None:
    one, two = await make_model(name="busy"), await make_model(name="busy")
    await put_alias(client, trainer, "busy", "live", one["version"])
    moving = True
    served: list[int] = []
    failures: list[str] = []

    async def caller() -> None:
        while moving:
            answer = await client.post(
                aliases_path("busy", "/live/predict"), json=BODY, headers=ADMIN
            )
            if answer.status_code != 200:
                failures.append(answer.text)
            else:
                served.append(answer.json()["model"]["version"])

    callers = [asyncio.create_task(caller()) for _ in range(4)]
    for move in range(40):
        target = (one, two)[move % 2]["version"]
        assert (await put_alias(client, trainer, "busy", "live", target)).is_success
        await asyncio.sleep(0)
    moving = False
    await asyncio.gather(*callers)
    assert failures == []
    assert set(served) == {one["version"], two["version"]}


async def test_a_move_warms_the_new_version_before_it_is_visible(
    client: httpx.AsyncClient, make_model: MakeModel, trainer: dict
) -> None:
    """With `warm` (the default) the PUT loads the version; the first predict through the alias
    is then a cache hit, not a load."""
    model = await make_model(name="warmed")
    loads = MODEL_CACHE_EVENTS.labels("load")
    before = loads._value.get()
    await put_alias(client, trainer, "warmed", "live", model["version"])
    assert loads._value.get() == before + 1
    path = aliases_path("warmed", "/live/predict")
    assert (await client.post(path, json=BODY, headers=ADMIN)).status_code == 200
    assert loads._value.get() == before + 1


async def test_models_stored_before_aliases_keep_working(
    client: httpx.AsyncClient, make_model: MakeModel, db: AsyncDatabase
) -> None:
    """A store written before aliases has no alias or endpoint collections: names list no
    aliases, models serve and delete as before."""
    for collection in (MODEL_ALIASES, MODEL_ALIAS_HISTORY, ENDPOINTS):
        await db.drop_collection(collection)
    model = await make_model(name="legacy")
    history = await client.get("/api/v1/models/by-name/legacy/alias-history", headers=ADMIN)
    assert history.json()["items"] == []
    assert (await client.get(aliases_path("legacy"), headers=ADMIN)).json()["items"] == []
    path = "/api/v1/models/by-name/legacy/latest/predict"
    assert (await client.post(path, json=BODY, headers=ADMIN)).status_code == 200
    deleted = await client.delete(f"/api/v1/models/{model['_id']}", headers=ADMIN)
    assert deleted.status_code == 204


async def test_concurrent_first_sets_of_one_alias_all_succeed_and_chain(
    client: httpx.AsyncClient, make_model: MakeModel, trainer: dict
) -> None:
    """Many callers creating the same alias at once: each PUT succeeds, one creates it, and
    the alias's history, in revision order, forms one unbroken from/to chain."""
    models = [await make_model(name="racing") for _ in range(3)]
    targets = [models[n % 3]["version"] for n in range(12)]
    answers = await asyncio.gather(
        *(put_alias(client, trainer, "racing", "prod", version) for version in targets)
    )
    assert [a.status_code for a in answers] == [200] * len(targets)
    assert [a.json()["from_version"] for a in answers].count(None) == 1
    path = "/api/v1/models/by-name/racing/alias-history?alias=prod"
    changes = (await client.get(path, headers=ADMIN)).json()["items"][::-1]
    assert changes[0]["from_version"] is None
    for earlier, later in itertools.pairwise(changes):
        assert later["from_version"] == earlier["to_version"], [
            (c["revision"], c["from_version"], c["to_version"]) for c in changes
        ]
        assert later["revision"] > earlier["revision"]
    final = (await client.get(aliases_path("racing", "/prod"), headers=ADMIN)).json()
    assert final["version"] == changes[-1]["to_version"]
