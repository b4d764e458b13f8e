"""Regenerates docs/ui/*.png: `make screenshots` (or `python -m tests.ui.screenshots`).

Starts a throwaway Redis and FerretDB, the API and a worker, trains a few models on the sample
datasets, uploads a customers table, and photographs the main pages at laptop and phone widths
with Debian's Chromium.
"""

import asyncio
import tempfile
import time
from pathlib import Path

import httpx
from playwright.async_api import Browser

from app.config import Settings
from devstack.services import ferretdb_service, free_port, redis_service
from tests.datasets.support import csv_bytes
from tests.samples import ADMIN, BOOTSTRAP_KEY
from tests.tables import customers
from tests.ui.live import LAPTOP, PHONE, Live, chromium, live_service, new_context, sign_in

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
VIRGINICA = ["6.7", "3.0", "5.2", "2.3"]
OUT = Path(__file__).resolve().parents[2] / "docs" / "ui"
MODELS = [
    ("iris-forest", "random_forest", {"n_estimators": 50}),
    ("iris-logistic", "logistic_regression", {"C": 0.5}),
    ("iris-tree", "decision_tree", {"max_depth": 3}),
    ("iris-tree", "decision_tree", {"max_depth": 2}),
]


def train_models(url: str) -> list[str]:
    """Submit the jobs through the API and wait for each; the models' ids, in order."""
    job_ids = []
    for name, algorithm, hyperparameters in MODELS:
        body = {"dataset_name": "iris", "algorithm": algorithm, "model_name": name}
        body["hyperparameters"] = hyperparameters
        response = httpx.post(f"{url}/train", json=body, headers=ADMIN, timeout=30)
        job_ids.append(response.raise_for_status().json()["job_id"])
    return [wait_for(url, job_id) for job_id in job_ids]


def upload_customers(url: str, name: str = "customers", target: str = "churned") -> None:
    """A table with an identifier, categories and gaps, ingested before the photographs."""
    params = {"name": name, "target": target}
    body = csv_bytes(customers())
    httpx.post(f"{url}/datasets", params=params, content=body, headers=ADMIN, timeout=30)
    for _ in range(600):
        version = httpx.get(f"{url}/datasets/{name}/versions/1", headers=ADMIN, timeout=30)
        if version.json()["status"] != "ingesting":
            assert version.json()["status"] == "ready", version.json()
            return
        time.sleep(0.2)
    raise TimeoutError(name)


def regressor_evaluated(url: str, classifier_id: str) -> str:
    """A ridge model on the customers' spend (its page draws residuals), and an evaluation of
    it and of the first classifier (listed on their pages); the regressor's id."""
    upload_customers(url, "customer-spend", "spend")
    body = {"dataset_name": "customer-spend", "algorithm": "ridge", "model_name": "spend"}
    response = httpx.post(f"{url}/train", json=body, headers=ADMIN, timeout=30)
    regressor = wait_for(url, response.raise_for_status().json()["job_id"])
    for model_id, dataset, bound in (
        (regressor, "customer-spend", {"rmse": {"max": 10}}),
        (classifier_id, "iris", {"accuracy": {"min": 0.9}}),
    ):
        body = {"dataset_name": dataset, "thresholds": bound, "promote": "production"}
        path = f"{url}/api/v1/models/{model_id}/evaluations"
        evaluation = httpx.post(path, json=body, headers=ADMIN, timeout=30).raise_for_status()
        for _ in range(600):
            found = httpx.get(
                f"{url}/api/v1/evaluations/{evaluation.json()['id']}", headers=ADMIN, timeout=30
            )
            if found.json()["status"] not in ("queued", "running"):
                break
            time.sleep(0.2)
    return regressor


def wait_for(url: str, job_id: str) -> str:
    for _ in range(600):
        job = httpx.get(f"{url}/jobs/{job_id}", headers=ADMIN, timeout=30).json()
        if job["status"] == "succeeded":
            return job["model_id"]
        assert job["status"] in ("queued", "running"), job
        time.sleep(0.2)
    raise TimeoutError(job_id)


async def photograph(browser: Browser, live: Live, model_ids: list[str]) -> None:
    """`model_ids`: the classifiers, then the regressor."""
    *model_ids, regressor = model_ids
    shots = {
        "dashboard": "/ui",
        "jobs": "/ui/jobs",
        "train": "/ui/train",
        "models": "/ui/models",
        "model": f"/ui/models/{model_ids[0]}",
        "model-regression": f"/ui/models/{regressor}",
        "compare": "/ui/models/compare?" + "&".join(f"id={i}" for i in model_ids[1:]),
        "datasets": "/ui/datasets",
        "dataset": "/ui/datasets/customers",
    }
    for viewport, suffix in ((LAPTOP, ""), (PHONE, "-phone")):
        context = await new_context(browser, viewport)
        page = await context.new_page()
        await page.goto(f"{live.url}/ui/sign-in")
        await page.screenshot(path=OUT / f"sign-in{suffix}.png")
        await sign_in(page, live.url, live.keys["admin"])
        for name, path in shots.items():
            await page.goto(f"{live.url}{path}")
            await page.screenshot(path=OUT / f"{name}{suffix}.png", full_page=True)
        await page.goto(f"{live.url}/ui/models/{model_ids[0]}/predict")
        for feature, value in zip(IRIS_FEATURES, VIRGINICA, strict=True):
            await page.get_by_label(feature, exact=True).fill(value)
        await page.get_by_role("button", name="Predict", exact=True).click()
        await page.screenshot(path=OUT / f"predict{suffix}.png", full_page=True)
        await context.close()


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        redis = redis_service(free_port(), Path(root) / "redis").start()
        ferretdb = ferretdb_service(free_port(), Path(root) / "ferretdb").start()
        settings = Settings(
            _env_file=None,
            mongodb_url=f"mongodb://127.0.0.1:{ferretdb.port}/",
            redis_url=f"redis://127.0.0.1:{redis.port}/0",
            auth_enabled=True,
            bootstrap_admin_key=BOOTSTRAP_KEY,
            worker_metrics_port=0,
        )
        try:
            with live_service(settings, Path(root)) as live:
                upload_customers(live.url)
                model_ids = train_models(live.url)
                model_ids.append(regressor_evaluated(live.url, model_ids[0]))
                async with chromium() as browser:
                    await photograph(browser, live, model_ids)
        finally:
            ferretdb.stop()
            redis.stop()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
