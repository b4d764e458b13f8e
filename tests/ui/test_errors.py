"""Errors under /ui are pages with the error table's status and message; the JSON routes keep
their JSON."""

import re

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.config import Settings
from app.main import create_app
from tests.datasets.support import csv_bytes
from tests.samples import ADMIN
from tests.support import replica
from tests.tables import customers
from tests.ui.forms import csrf_token, sign_in


@pytest.fixture
async def reader(browser: httpx.AsyncClient, scoped_keys: dict[str, str]) -> httpx.AsyncClient:
    await sign_in(browser, scoped_keys["read"])
    return browser


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/ui/models/0123456789abcdef01234567", 404, "no model with id"),
        ("/ui/jobs/no-such-job", 404, "job &#39;no-such-job&#39; not found"),
        ("/ui/models?after=not-a-cursor", 422, "cursor"),
        ("/ui/jobs?status=sleeping", 422, "status"),
    ],
)
async def test_ui_errors_are_pages(
    reader: httpx.AsyncClient, path: str, status: int, message: str
) -> None:
    response = await reader.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text


async def test_the_json_routes_still_answer_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/models/0123456789abcdef01234567", headers=ADMIN)
    assert response.status_code == 404
    assert response.json() == {"detail": "no model with id '0123456789abcdef01234567'"}


async def test_the_icon_browsers_ask_for_is_served_without_a_key(
    browser: httpx.AsyncClient,
) -> None:
    """Every page view, JSON routes included, makes the browser fetch /favicon.ico: a 404 there
    is an error in every user's console."""
    response = await browser.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.content.startswith(b"<svg")
    page = (await browser.get("/ui/sign-in")).text
    assert 'rel="icon"' in page and "/ui/static/favicon.svg" in page


async def test_refusals_made_before_a_route_runs_are_pages_too(
    settings: Settings, scoped_keys: dict[str, str]
) -> None:
    """The request gate's rate limit and the body limit answer before any route's exception
    handler: a browser still gets the error page, with the limit's Retry-After."""
    limited = settings.model_copy(update={"rate_limit_train": "1/minute", "max_body_bytes": 1024})
    async with replica(limited) as http:
        await sign_in(http, scoped_keys["train"])
        token = csrf_token(await http.get("/ui/train"))
        await http.post("/ui/train", data={"csrf_token": token})  # counted, then refused
        throttled = await http.post("/ui/train", data={"csrf_token": token})
        too_big = await http.post("/ui/models/x/predict", content=b"x" * 2048)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    assert too_big.status_code == 413 and "larger than 1024 bytes" in too_big.text
    for page in (throttled, too_big):
        assert page.headers["content-type"].startswith("text/html"), page.text


async def test_the_upload_page_takes_files_as_large_as_post_datasets_does(
    settings: Settings, scoped_keys: dict[str, str]
) -> None:
    """The page's upload streams the file like POST /datasets, so the request body limit is
    DATASET_MAX_BYTES there too, not MAX_BODY_BYTES."""
    limited = settings.model_copy(update={"max_body_bytes": 1024})
    table = csv_bytes(customers(rows=200))
    assert len(table) > 1024
    async with replica(limited) as http:
        await sign_in(http, scoped_keys["train"])
        page = await http.get("/ui/datasets")  # the token the page's script sends back
        headers = {"X-CSRF-Token": re.search(r'data-csrf="([^"]+)"', page.text).group(1)}
        params = {"name": "ui-big-upload", "target": "churned"}
        uploaded = await http.post(
            "/ui/datasets/upload", params=params, content=table, headers=headers
        )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["location"] == "/ui/datasets/ui-big-upload?version=1"


async def test_an_unexpected_error_is_a_page_not_a_bare_500(settings: Settings) -> None:
    app = create_app(settings)

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/ui/broken", broken)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://ui") as http:
            response = await http.get("/ui/broken")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "something went wrong on the server" in response.text


async def test_a_deeply_nested_hyperparameter_is_a_field_error(
    scoped_keys: dict[str, str], browser: httpx.AsyncClient
) -> None:
    """A text box's value is read as JSON; nesting deeper than the parser recurses is refused
    beside its field like any other bad value, not a 500."""
    await sign_in(browser, scoped_keys["train"])
    token = csrf_token(await browser.get("/ui/train"))
    form = {
        "csrf_token": token,
        "dataset_name": "iris",
        "algorithm": "random_forest",
        "model_name": "nested",
        "hp.random_forest.max_depth": "[" * 100_000 + "]" * 100_000,
    }
    response = await browser.post("/ui/train", data=form)
    assert response.status_code == 422, response.text[:300]
    assert "see the messages beside the fields" in response.text
