"""Helpers of the endpoint tests: a second, different iris model, and endpoint calls."""

import io
from functools import cache
from typing import Any

import httpx
import joblib
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

ENDPOINTS = "/api/v1/endpoints"
ROW = {"inputs": [[5.1, 3.5, 1.4, 0.2]]}


@cache
def stump_bytes() -> bytes:
    """A depth-1 tree: it disagrees with tests.samples' depth-3 tree on some iris rows."""
    iris = load_iris()
    estimator = DecisionTreeClassifier(max_depth=1, random_state=0).fit(iris.data, iris.target)
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return buffer.getvalue()


def stump() -> Any:
    return joblib.load(io.BytesIO(stump_bytes()))


async def put_endpoint(client: httpx.AsyncClient, name: str, **body: Any) -> httpx.Response:
    return await client.put(f"{ENDPOINTS}/{name}", json=body)


def routes(*pairs: tuple[int, float]) -> list[dict[str, Any]]:
    return [{"version": version, "weight": weight} for version, weight in pairs]


async def served_version(
    client: httpx.AsyncClient, name: str, key: str | None = None, body: dict | None = None
) -> int:
    headers = {"X-Routing-Key": key} if key is not None else {}
    response = await client.post(f"{ENDPOINTS}/{name}/predict", json=body or ROW, headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["model"]["version"])
