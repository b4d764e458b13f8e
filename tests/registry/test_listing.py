"""Listing models: the seed's paginated call, filters, sorts, cursors, bounds, indexes."""

import itertools

import httpx
import pytest

from app.registry.listing import FILTER_FIELDS, ModelFilter, index_keys, index_name
from app.storage import INDEXES
from tensorfleet.schemas.registry import ModelSort
from tests.samples import MakeModel


async def make_models(make_model: MakeModel, count: int, **fields: object) -> list[dict]:
    return [await make_model(**fields) for _ in range(count)]


def newest_first(models: list[dict]) -> list[str]:
    ordered = sorted(models, key=lambda m: (m["created_at"], m["_id"]), reverse=True)
    return [str(model["_id"]) for model in ordered]


async def follow_cursor(client: httpx.AsyncClient, params: dict) -> list[list[str]]:
    pages, after = [], None
    while True:
        query = params | ({"after": after} if after else {})
        body = (await client.get("/api/v1/models", params=query)).json()
        pages.append([item["id"] for item in body["items"]])
        if not (after := body["next_cursor"]):
            return pages


async def test_seed_call_pages_25_models_as_10_10_5(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    models = await make_models(make_model, 25)
    pages = []
    for page in (1, 2, 3):
        response = await client.get(f"/api/v1/models?page={page}&limit=10")
        assert response.status_code == 200
        body = response.json()
        assert (body["total"], body["page"], body["limit"], body["pages"]) == (25, page, 10, 3)
        pages.append([item["id"] for item in body["items"]])
    assert [len(page) for page in pages] == [10, 10, 5]
    assert list(itertools.chain(*pages)) == newest_first(models)
    first = (await client.get("/api/v1/models?page=1&limit=10")).json()["items"][0]
    assert first["name"] == "iris-tree" and first["metrics"]["test_accuracy"] == 0.9
    assert (await client.get("/api/v1/models?page=4&limit=10")).json()["items"] == []


async def test_cursor_paging_gives_the_same_sequence(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    models = await make_models(make_model, 25)
    pages = await follow_cursor(client, {"limit": 10})
    assert [len(page) for page in pages] == [10, 10, 5]
    assert list(itertools.chain(*pages)) == newest_first(models)


@pytest.mark.parametrize(
    ("query", "field", "bound"),
    [
        ("limit=101", "limit", "less than or equal to 100"),
        ("limit=0", "limit", "greater than or equal to 1"),
        ("page=0", "page", "greater than or equal to 1"),
    ],
)
async def test_out_of_bounds_paging_is_422_naming_the_bound(
    client: httpx.AsyncClient, query: str, field: str, bound: str
) -> None:
    response = await client.get(f"/api/v1/models?{query}")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", field]
    assert bound in error["msg"]


async def test_filters_select_by_algorithm_name_and_dataset(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    forest = await make_model(name="a", algorithm="random_forest", dataset_name="wine")
    tree = await make_model(name="b", algorithm="decision_tree", dataset_name="iris")
    await make_model(name="b", algorithm="random_forest", dataset_name="iris")
    cases = {
        "algorithm=decision_tree": [tree],
        "name=a": [forest],
        "dataset_name=wine": [forest],
        "algorithm=random_forest&dataset_name=wine": [forest],
    }
    for query, expected in cases.items():
        body = (await client.get(f"/api/v1/models?{query}")).json()
        assert [item["id"] for item in body["items"]] == newest_first(expected), query
        assert body["total"] == len(expected)


@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_sort_by_metric_with_ties_is_stable_across_cursor_pages(
    client: httpx.AsyncClient, make_model: MakeModel, order: str
) -> None:
    accuracies = [0.5, 0.9, 0.7, 0.9, 0.5, 0.9, 0.7]
    models = [await make_model(test_accuracy=accuracy) for accuracy in accuracies]
    ordered = sorted(
        models, key=lambda m: (m["metrics"]["test_accuracy"], m["_id"]), reverse=order == "desc"
    )
    params = {"sort": "test_accuracy", "order": order, "limit": 2}
    pages = await follow_cursor(client, params)
    assert list(itertools.chain(*pages)) == [str(model["_id"]) for model in ordered]
    by_page = []
    for page in range(1, 5):
        body = (await client.get("/api/v1/models", params=params | {"page": page})).json()
        by_page += [item["id"] for item in body["items"]]
    assert by_page == [str(model["_id"]) for model in ordered]


async def test_sort_by_version_ascending(client: httpx.AsyncClient, make_model: MakeModel) -> None:
    await make_models(make_model, 3, name="versioned")
    body = (await client.get("/api/v1/models?name=versioned&sort=version&order=asc")).json()
    assert [item["version"] for item in body["items"]] == [1, 2, 3]


async def test_models_without_accuracy_page_by_cursor_without_loss(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    models = [await make_model(test_accuracy=value) for value in (None, 0.8, None, 0.6)]
    for order in ("asc", "desc"):
        pages = await follow_cursor(client, {"sort": "test_accuracy", "order": order, "limit": 1})
        assert sorted(itertools.chain(*pages)) == sorted(str(m["_id"]) for m in models), order


@pytest.mark.parametrize("token", ["not-a-cursor", "e30", "%%%"])
async def test_a_foreign_cursor_is_422_naming_after(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/api/v1/models", params={"after": token})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "after"]


async def test_a_cursor_reused_with_another_sort_is_422(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    await make_models(make_model, 2)
    cursor = (await client.get("/api/v1/models?limit=1")).json()["next_cursor"]
    response = await client.get("/api/v1/models", params={"after": cursor, "sort": "version"})
    assert response.status_code == 422
    assert "sort=created_at" in response.json()["detail"][0]["msg"]
    both = await client.get("/api/v1/models", params={"after": cursor, "page": 2})
    assert both.status_code == 422


FILTERS = [ModelFilter()] + [ModelFilter(**{field: "x"}) for field in FILTER_FIELDS]


@pytest.mark.parametrize("sort", list(ModelSort))
@pytest.mark.parametrize("model_filter", FILTERS, ids=lambda f: f.prefix() or "none")
def test_every_filter_and_sort_has_its_index(model_filter: ModelFilter, sort: ModelSort) -> None:
    indexes = {index.document["name"]: index.document["key"] for index in INDEXES["models"]}
    assert list(indexes[index_name(model_filter, sort)].items()) == index_keys(model_filter, sort)


@pytest.mark.parametrize("sort", list(ModelSort))
@pytest.mark.parametrize("model_filter", FILTERS, ids=lambda f: f.prefix() or "none")
async def test_every_hinted_query_runs_on_the_server(
    client: httpx.AsyncClient, make_model: MakeModel, sort: ModelSort, model_filter: ModelFilter
) -> None:
    await make_models(make_model, 2, name="x", algorithm="x", dataset_name="x")
    params = model_filter.query() | {"limit": 1, "sort": sort.value}
    first = (await client.get("/api/v1/models", params=params)).json()
    rest = await client.get("/api/v1/models", params=params | {"after": first["next_cursor"]})
    assert rest.status_code == 200
    assert len(first["items"]) == len(rest.json()["items"]) == 1
    assert rest.json()["next_cursor"] is None
