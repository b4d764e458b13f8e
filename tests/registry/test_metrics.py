"""/metrics shows the API's seed metrics, labelled by route template, moving with requests."""

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from app.main import create_app
from tests.samples import MakeModel

SEED_METRICS = (
    "api_requests_total",
    "request_duration_seconds",
    "model_downloads_total",
    "model_listings_total",
)


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_seed_metrics_move_as_requests_happen(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(algorithm="svm")
    before = await scrape(client)
    await client.get("/api/v1/models?page=1&limit=10")
    for _ in range(2):
        await client.get(f"/api/v1/models/{model['_id']}/download")
    await client.get("/api/v1/models/not-an-id")
    after = await scrape(client)

    route = {"method": "GET", "handler": "/api/v1/models/{model_id}/download", "status": "200"}
    for name in ("api_requests_total", "request_duration_seconds_count"):
        assert value(after, name, **route) - value(before, name, **route) == 2
    missing = route | {"handler": "/api/v1/models/{model_id}", "status": "404"}
    assert (
        value(after, "api_requests_total", **missing)
        - value(before, "api_requests_total", **missing)
        == 1
    )
    downloads = value(after, "model_downloads_total", algorithm="svm")
    assert downloads - value(before, "model_downloads_total", algorithm="svm") == 2
    listing = {"sort": "created_at", "paging": "page"}
    assert (
        value(after, "model_listings_total", **listing)
        - value(before, "model_listings_total", **listing)
        == 1
    )


async def test_every_seed_metric_is_exposed_without_raw_paths(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model()
    await client.get(f"/api/v1/models/{model['_id']}/download")
    await client.get("/api/v1/models")
    await client.get("/no/such/path")
    text = (await client.get("/metrics")).text
    for name in SEED_METRICS:
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    assert str(model["_id"]) not in text
    assert "/no/such/path" not in text
    assert 'handler="none"' in text


def test_many_apps_in_one_process_share_the_metrics(settings: Settings) -> None:
    first, second = create_app(settings), create_app(settings)
    assert first is not second  # building a second app raised no "Duplicated timeseries"


async def test_a_wrong_method_counts_under_the_route_it_reached(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    """A path that matches a route but not its method is labelled with that route, as a
    matched one is; /metrics itself is never counted."""
    model = await make_model()
    before = await scrape(client)
    await client.delete(f"/api/v1/models/{model['_id']}/download")
    after = await scrape(client)
    route = {"method": "DELETE", "handler": "/api/v1/models/{model_id}/download", "status": "405"}
    assert (
        value(after, "api_requests_total", **route) - value(before, "api_requests_total", **route)
        == 1
    )
    assert not any(labels and ("handler", "/metrics") in labels for _, labels in after)
