"""The UI in a real browser (Playwright driving Debian's Chromium) against the API and a
worker running as processes: sign in, train, watch the job end, open a model, predict a row,
compare and delete models, upload a dataset and train on it, see a regressor's residuals,
importances and evaluations; a read-only key sees no train, upload or delete controls."""

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlparse

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, expect

from tests.datasets.support import csv_bytes
from tests.samples import BOOTSTRAP_KEY
from tests.support import SettingsFactory, wait_for
from tests.tables import customers
from tests.ui.live import (
    PATIENCE_MS,
    SMALL_PHONE,
    Live,
    chromium,
    live_service,
    new_context,
    sign_in,
)

JOB_TIMEOUT_MS = 120_000
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SETOSA = ["5.1", "3.5", "1.4", "0.2"]
SLOW_UPLOAD = 8_000  # bytes per second: a ~25 KB file takes seconds, so progress shows
expect.set_options(timeout=PATIENCE_MS)


@pytest.fixture(scope="module")
def live(
    settings_factory: SettingsFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    settings = settings_factory(auth_enabled=True, bootstrap_admin_key=BOOTSTRAP_KEY)
    with live_service(settings, tmp_path_factory.mktemp("ui-live")) as service:
        yield service


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await new_context(browser)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def train_in_ui(page: Page, live: Live, model_name: str, max_depth: str) -> None:
    await page.goto(f"{live.url}/ui/train")
    await page.get_by_label("Algorithm").select_option("decision_tree")
    await page.get_by_label("Model name").fill(model_name)
    await page.locator("fieldset[data-for=decision_tree]").get_by_label("max_depth").fill(max_depth)
    await page.get_by_role("button", name="Start training").click()
    await page.wait_for_url(re.compile(r"/ui/jobs/[0-9a-f]+$"))


async def predict_one_row(page: Page) -> None:
    """From a model's page: type one iris flower in, read the class and its probability."""
    await page.get_by_role("link", name="Predict", exact=True).click()
    for feature, value in zip(IRIS_FEATURES, SETOSA, strict=True):
        await page.get_by_label(feature, exact=True).fill(value)
    await page.get_by_role("button", name="Predict", exact=True).click()
    answer = page.locator("table.predictions tbody tr")
    await expect(answer).to_have_count(1)
    await expect(answer).to_contain_text("setosa")
    await page.go_back()
    await page.go_back()


async def test_train_watch_open_compare_and_delete(page: Page, live: Live) -> None:
    await sign_in(page, live.url, live.keys["admin"])
    await train_in_ui(page, live, "ui-flow", "3")
    # The job page updates itself: no reload until the model link appears.
    await expect(page.locator("#job-status")).to_have_text("succeeded", timeout=JOB_TIMEOUT_MS)
    await page.get_by_role("link", name="ui-flow v1").click()
    await expect(page.get_by_role("heading", name="ui-flow v1")).to_be_visible()
    await expect(page.get_by_role("img", name="Confusion matrix")).to_be_visible()
    await expect(page.get_by_role("img", name="Permutation importance")).to_be_visible()
    await predict_one_row(page)
    await train_in_ui(page, live, "ui-flow", "1")
    await expect(page.locator("#job-status")).to_have_text("succeeded", timeout=JOB_TIMEOUT_MS)

    await page.goto(f"{live.url}/ui/models?name=ui-flow")
    await page.get_by_label("Compare ui-flow v1").check()
    await page.get_by_label("Compare ui-flow v2").check()
    await page.get_by_role("button", name="Compare selected").click()
    compare = page.locator("table.compare")
    await expect(compare.locator("thead th")).to_have_count(3)
    await expect(compare.get_by_role("row", name=re.compile("max depth"))).to_contain_text("3")

    await page.get_by_role("link", name="ui-flow v2").click()
    await page.get_by_role("link", name="Delete…").click()
    await page.get_by_role("button", name="Delete permanently").click()
    await expect(page.get_by_role("status")).to_have_text("Model deleted.")
    await expect(page.get_by_role("link", name="ui-flow")).to_have_count(1)  # only v1 is left


async def test_the_api_s_422_shows_beside_the_field(page: Page, live: Live) -> None:
    await sign_in(page, live.url, live.keys["train"])
    await page.goto(f"{live.url}/ui/train")
    await page.get_by_label("Algorithm").select_option("decision_tree")
    await page.get_by_label("Model name").fill("bad-depth")
    field = page.locator("fieldset[data-for=decision_tree]").get_by_label("max_depth")
    await field.fill("-2")
    await page.get_by_role("button", name="Start training").click()
    field = page.locator("fieldset[data-for=decision_tree]").get_by_label("max_depth")
    await expect(field).to_have_attribute("aria-invalid", "true")
    message = page.locator("[id='err-hp.decision_tree.max_depth']")
    await expect(message).to_contain_text("max_depth")
    await expect(message).to_contain_text("range")


async def upload_slowly(page: Page, name: str, body: bytes) -> None:
    """Fill the upload form and send it over a throttled link, watching the bar move."""
    cdp = await page.context.new_cdp_session(page)
    conditions = {"offline": False, "latency": 0, "downloadThroughput": -1}
    await cdp.send(
        "Network.emulateNetworkConditions", conditions | {"uploadThroughput": SLOW_UPLOAD}
    )
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Target column").fill("churned")
    await page.get_by_label("File").set_input_files(
        {"name": f"{name}.csv", "mimeType": "text/csv", "buffer": body}
    )
    await page.get_by_role("button", name="Upload").click()
    bar = page.locator("#upload-progress")
    await expect(bar).to_be_visible()
    # upload.onprogress moved the bar (the message mirrors its value) before the page changes.
    await expect(page.locator("#upload-message")).to_have_text(re.compile(r"Uploading… \d+%"))


async def test_upload_watch_ingest_and_train_on_the_dataset(page: Page, live: Live) -> None:
    await sign_in(page, live.url, live.keys["train"])
    await page.goto(f"{live.url}/ui/datasets")
    await upload_slowly(page, "ui-churn", csv_bytes(customers()))
    await page.wait_for_url(re.compile(r"/ui/datasets/ui-churn\?version=1$"))
    # The status refreshes itself from ingesting to ready, then the profile appears.
    await expect(page.locator("#dataset-status")).to_have_text("ready", timeout=JOB_TIMEOUT_MS)
    await expect(page.get_by_role("img", name="Target classes")).to_be_visible()
    profile = page.locator("#profile")
    await expect(profile.get_by_role("row", name=re.compile("customer_id"))).to_contain_text(
        "excluded"
    )
    await expect(profile.get_by_role("row", name=re.compile("city"))).to_contain_text("categorical")
    await expect(page.locator("#preview tbody tr").first).to_contain_text("C100000")
    await page.get_by_role("link", name="Train on it").click()
    await expect(page.get_by_label("Dataset")).to_have_value("ui-churn")
    await page.get_by_label("Algorithm").select_option("decision_tree")
    await page.get_by_label("Model name").fill("ui-churn")
    await page.get_by_role("button", name="Start training").click()
    await expect(page.locator("#job-status")).to_have_text("succeeded", timeout=JOB_TIMEOUT_MS)


async def test_a_refused_upload_says_why_and_stores_nothing(page: Page, live: Live) -> None:
    await sign_in(page, live.url, live.keys["train"])
    await page.goto(f"{live.url}/ui/datasets")
    await page.get_by_label("Name").fill("ui-refused")
    await page.get_by_label("Target column").fill("outcome")
    await page.get_by_label("File").set_input_files(
        {"name": "t.csv", "mimeType": "text/csv", "buffer": csv_bytes(customers().head(50))}
    )
    await page.get_by_role("button", name="Upload").click()
    message = page.locator("#upload-message")
    await expect(message).to_contain_text("Upload refused (422)")
    await expect(message).to_contain_text("target column 'outcome' not found; columns: customer_id")
    headers = {"Authorization": f"Bearer {live.keys['train']}"}
    async with httpx.AsyncClient(base_url=live.url, headers=headers) as client:
        assert (await client.get("/datasets/ui-refused")).status_code == 404


async def test_a_read_only_key_sees_no_train_or_delete_controls(page: Page, live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.url) as api:
        response = await api.get("/api/v1/models", headers={"X-API-Key": BOOTSTRAP_KEY})
    model_id = response.json()["items"][0]["id"]
    await sign_in(page, live.url, live.keys["read"])
    await expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("Train")
    await page.goto(f"{live.url}/ui/models/{model_id}")
    await expect(page.get_by_role("link", name="Download")).to_be_visible()
    await expect(page.get_by_role("link", name="Delete…")).to_have_count(0)
    await page.goto(f"{live.url}/ui/train")
    await expect(page.get_by_role("button", name="Start training")).to_be_disabled()
    await page.goto(f"{live.url}/ui/datasets/iris")
    await expect(page.locator("#dataset-status")).to_have_text("ready")
    await expect(page.get_by_role("link", name="Delete")).to_have_count(0)
    await page.goto(f"{live.url}/ui/datasets")
    await expect(page.get_by_role("button", name="Upload")).to_have_count(0)


def failed(request: Request) -> bool:
    """A request that failed, not one the browser dropped itself: leaving a page cancels what
    it still loads (its icon, fetched last and at low priority) as net::ERR_ABORTED. The
    server's own refusals are answers (4xx/5xx), caught apart."""
    return request.failure != "net::ERR_ABORTED"


def watch_for_trouble(page: Page, url: str) -> list[str]:
    """Everything a user's console or network panel would show as wrong: errors logged, requests
    that failed or were answered 4xx/5xx, and any request to a host other than the app."""
    trouble: list[str] = []
    host = urlparse(url).netloc
    page.on("console", lambda m: m.type == "error" and trouble.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: trouble.append(f"script: {e}"))
    page.on("requestfailed", lambda r: failed(r) and trouble.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and trouble.append(f"{r.status}: {r.url}"))

    def elsewhere(request: Request) -> None:
        if request.url.startswith("http") and urlparse(request.url).netloc != host:
            trouble.append(f"off-host: {request.url}")

    page.on("request", elsewhere)
    return trouble


async def test_every_page_holds_on_a_phone_and_loads_cleanly(
    browser: Browser, live: Live, regressor: str
) -> None:
    """At 375 px nothing scrolls sideways (wide tables scroll inside their card), and no page
    logs an error, fails a request (the icon included) or fetches anything from another host."""
    context = await new_context(browser, SMALL_PHONE)
    page = await context.new_page()
    trouble = watch_for_trouble(page, live.url)
    try:
        await sign_in(page, live.url, live.keys["admin"])
        for path in (
            "/ui",
            "/ui/jobs",
            "/ui/models",
            "/ui/train",
            "/ui/tuning",
            "/ui/datasets",
            "/ui/datasets/iris",
            f"/ui/models/{regressor}",
            f"/ui/models/{regressor}/predict",
            f"/ui/models/{regressor}/delete",
        ):
            await page.goto(f"{live.url}{path}")
            await page.wait_for_load_state("networkidle")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= SMALL_PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
        assert trouble == []
    finally:
        await context.close()


async def regression_model_evaluated(live: Live) -> str:
    """Through the API: a ridge model on the customers' spend, and one evaluation of it."""
    headers = {"X-API-Key": live.keys["admin"]}
    async with httpx.AsyncClient(base_url=live.url, headers=headers, timeout=30) as api:
        query = {"name": "ui-spend", "target": "spend"}
        uploaded = await api.post("/datasets", params=query, content=csv_bytes(customers()))
        assert uploaded.status_code in (200, 202), uploaded.text
        await wait_for(lambda: ready(api, "ui-spend"), timeout=JOB_TIMEOUT_MS / 1000)
        body = {"dataset_name": "ui-spend", "algorithm": "ridge", "model_name": "ui-spend"}
        job_id = (await api.post("/train", json=body)).json()["job_id"]
        job = await wait_for(lambda: ended(api, f"/jobs/{job_id}"), JOB_TIMEOUT_MS / 1000)
        evaluation = await api.post(
            f"/api/v1/models/{job['model_id']}/evaluations",
            json={
                "dataset_name": "ui-spend",
                "thresholds": {"rmse": {"max": 100}},
                "promote": "production",
            },
        )
        path = f"/api/v1/evaluations/{evaluation.json()['id']}"
        await wait_for(lambda: ended(api, path), JOB_TIMEOUT_MS / 1000)
        return str(job["model_id"])


async def ready(api: httpx.AsyncClient, name: str) -> bool:
    return (await api.get(f"/datasets/{name}/versions/1")).json()["status"] == "ready"


async def ended(api: httpx.AsyncClient, path: str) -> dict | None:
    document = (await api.get(path)).json()
    return None if document["status"] in ("queued", "running") else document


@pytest.fixture(scope="module")
async def regressor(live: Live) -> str:
    return await regression_model_evaluated(live)


async def test_a_regressor_s_page_shows_residuals_importances_and_evaluations(
    page: Page, live: Live, regressor: str
) -> None:
    model_id = regressor
    await sign_in(page, live.url, live.keys["read"])
    await page.goto(f"{live.url}/ui/models/{model_id}")
    await expect(page.get_by_role("img", name="Residuals")).to_be_visible()
    await expect(page.locator("#residuals circle.dot").first).to_be_visible()
    await expect(page.get_by_role("img", name="Permutation importance")).to_be_visible()
    await expect(page.get_by_role("img", name="Estimator importances")).to_be_visible()
    evaluations = page.locator("#evaluations tbody tr")
    await expect(evaluations).to_have_count(1)
    await expect(evaluations).to_contain_text("passed")
    await expect(evaluations).to_contain_text("rmse")
    await expect(page.locator("#aliases")).to_contain_text("production")
