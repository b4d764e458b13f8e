"""A shadow version gets a copy of each request after the answer: its predictions are compared
with the served ones and recorded (the disagreement rate is the estimators' own), never
returned."""

import httpx
import numpy as np
import pytest
from sklearn.datasets import load_iris

from tests.endpoints.support import ENDPOINTS, routes, stump, stump_bytes
from tests.samples import MakeModel, stored_estimator
from tests.support import wait_for

IRIS = load_iris()
ROWS = IRIS.data[::10].tolist()  # 15 rows over the three classes
REQUESTS = 20


async def test_the_shadow_is_recorded_and_never_returned(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    served = await make_model(name="ab-shadow")
    shadow = await make_model(name="ab-shadow", payload=stump_bytes())
    body = {"model": "ab-shadow", "routes": routes((served["version"], 1))}
    body["shadow"] = {"version": shadow["version"]}
    assert (await client.put(f"{ENDPOINTS}/shadowed", json=body)).is_success
    served_predictions = [str(p) for p in stored_estimator().predict(np.array(ROWS))]
    for _ in range(REQUESTS):
        answer = await client.post(f"{ENDPOINTS}/shadowed/predict", json={"inputs": ROWS})
        assert answer.status_code == 200
        assert answer.json()["model"]["version"] == served["version"]
        assert answer.json()["predictions"] == served_predictions
        assert not [key for key in answer.json() if "shadow" in key]

    async def compared() -> dict | None:
        stats = (await client.get(f"{ENDPOINTS}/shadowed/stats")).json()
        return stats if stats["shadow"]["compared_rows"] == REQUESTS * len(ROWS) else None

    stats = await wait_for(compared, timeout=30)
    X = np.array(ROWS)
    differ = int((stored_estimator().predict(X) != stump().predict(X)).sum())
    assert differ > 0  # the two estimators do disagree on these rows
    assert stats["shadow"]["disagreed_rows"] == REQUESTS * differ
    assert stats["shadow"]["disagreement_rate"] == pytest.approx(differ / len(ROWS))
    roles = {(v["role"], v["version"]): v["requests"] for v in stats["versions"]}
    assert roles == {
        ("route", served["version"]): REQUESTS,
        ("shadow", shadow["version"]): REQUESTS,
    }
    assert stats["requests"] == REQUESTS  # the shadow's copies are not routed traffic
    latest = stats["shadow"]["recent"][0]
    assert (latest["served_version"], latest["shadow_version"]) == (
        served["version"],
        shadow["version"],
    )
    assert latest["rows"] == len(ROWS) and latest["disagreed_rows"] == differ
