"""The seed's statistics call, with numbers checked against the models made."""

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from tests.samples import MakeModel


@pytest.fixture
async def jobs(db: AsyncDatabase):
    statuses = ["succeeded"] * 3 + ["failed"] * 2 + ["queued"]
    await db["jobs"].insert_many([{"_id": f"j{n}", "status": s} for n, s in enumerate(statuses)])
    yield
    await db["jobs"].delete_many({})


async def test_statistics_counts_means_recent_jobs_and_bytes(
    client: httpx.AsyncClient, make_model: MakeModel, jobs: None
) -> None:
    made = [
        await make_model(algorithm="random_forest", test_accuracy=0.9),
        await make_model(algorithm="random_forest", test_accuracy=0.8),
        await make_model(algorithm="random_forest", test_accuracy=None),  # NaN, stored null
        await make_model(algorithm="svm", test_accuracy=0.6),
        await make_model(algorithm="svm", test_accuracy=0.7),
        await make_model(algorithm="svm", test_accuracy=0.95),
        await make_model(algorithm="logistic_regression", test_accuracy=None),
    ]
    response = await client.get("/api/v1/statistics")
    assert response.status_code == 200
    body = response.json()
    assert body["total_models"] == 7
    by_algorithm = {row["algorithm"]: row for row in body["algorithms"]}
    assert by_algorithm["random_forest"]["count"] == 3
    assert by_algorithm["random_forest"]["mean_test_accuracy"] == pytest.approx(0.85)
    assert by_algorithm["svm"]["count"] == 3
    assert by_algorithm["svm"]["mean_test_accuracy"] == pytest.approx(0.75)
    assert by_algorithm["logistic_regression"] == {
        "algorithm": "logistic_regression",
        "count": 1,
        "mean_test_accuracy": None,
    }
    newest = sorted(made, key=lambda m: (m["created_at"], m["_id"]), reverse=True)[:5]
    assert [m["id"] for m in body["recent_models"]] == [str(m["_id"]) for m in newest]
    assert body["jobs_by_status"] == {"succeeded": 3, "failed": 2, "queued": 1}
    assert body["bytes_stored"] == sum(model["size"] for model in made)
    assert body["files_stored"] == 7


async def test_statistics_of_an_empty_registry(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/statistics")).json()
    assert body["total_models"] == 0 and body["algorithms"] == [] and body["recent_models"] == []
    assert body["bytes_stored"] == 0
