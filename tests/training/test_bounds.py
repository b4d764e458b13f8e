"""Cost bounds: a request beyond a bound, or setting what the service owns, is a 422 naming the
field and the bound, queues nothing, and GET /algorithms shows the bounds in force."""

import httpx
import pytest

from app.config import Settings
from app.resources import Resources
from app.training.bounds import DEFAULT_BOUNDS, SERVICE_OWNED
from tests.samples import SEED_BODY
from tests.support import SettingsFactory
from tests.training.test_validation import assert_nothing_queued

OVERRIDE = {"svm": {"degree": {"maximum": 3}}}


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(hyperparameter_bounds=OVERRIDE)


def bounds_in_force() -> dict[str, dict[str, dict]]:
    merged = {
        a: {n: b.model_dump() for n, b in bounds.items()} for a, bounds in DEFAULT_BOUNDS.items()
    }
    merged["svm"]["degree"] = {"minimum": None, "maximum": 3.0}
    return merged


def beyond(bound: dict) -> float:
    """A value of the bound's type just outside it."""
    if bound["maximum"] is not None:
        maximum = bound["maximum"]
        return int(maximum) + 1 if float(maximum).is_integer() else maximum * 10
    return bound["minimum"] / 10


def described(bound: dict) -> str:
    side, limit = (
        ("at most", bound["maximum"])
        if bound["maximum"] is not None
        else ("at least", bound["minimum"])
    )
    return f"{side} {int(limit) if float(limit).is_integer() else limit}"


CASES = [
    (algorithm, name, bound)
    for algorithm, bounds in bounds_in_force().items()
    for name, bound in bounds.items()
]


@pytest.mark.parametrize(("algorithm", "name", "bound"), CASES)
async def test_a_value_beyond_its_bound_is_422_naming_field_and_bound(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    algorithm: str,
    name: str,
    bound: dict,
) -> None:
    value = beyond(bound)
    body = SEED_BODY | {"algorithm": algorithm, "hyperparameters": {name: value}}
    response = await client.post("/train", json=body)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "hyperparameters", name]
    assert f"must be {described(bound)}" in error["msg"], error["msg"]
    assert "HYPERPARAMETER_BOUNDS" in error["msg"]
    await assert_nothing_queued(resources, settings)


@pytest.mark.parametrize(
    ("algorithm", "name"),
    [
        ("random_forest", "n_jobs"),
        ("random_forest", "verbose"),
        ("svm", "verbose"),
        ("logistic_regression", "n_jobs"),
        ("logistic_regression", "verbose"),
    ],
)
async def test_service_owned_hyperparameters_are_refused(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, algorithm: str, name: str
) -> None:
    body = SEED_BODY | {"algorithm": algorithm, "hyperparameters": {name: 1}}
    response = await client.post("/train", json=body)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "hyperparameters", name]
    assert "set by the service" in error["msg"]
    await assert_nothing_queued(resources, settings)


async def test_values_at_the_bound_are_accepted(client: httpx.AsyncClient) -> None:
    body = SEED_BODY | {
        "job_id": "at-bound",
        "algorithm": "svm",
        "hyperparameters": {"degree": 3, "cache_size": 1024, "tol": 1e-8, "max_iter": -1},
    }
    response = await client.post("/train", json=body)
    assert response.status_code == 202, response.text


async def test_algorithms_show_the_bounds_in_force_beside_the_constraints(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/algorithms")
    assert response.status_code == 200
    for algorithm in response.json():
        table = {p["name"]: p for p in algorithm["hyperparameters"]}
        assert not set(table) & set(SERVICE_OWNED), algorithm["name"]
        shown = {name: p["bounds"] for name, p in table.items() if p["bounds"] is not None}
        assert shown == bounds_in_force()[algorithm["name"]]
        assert all(p["constraints"] for name, p in table.items() if name in shown)
