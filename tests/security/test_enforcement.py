"""Every operation in the live OpenAPI document is refused without a key of the scope it
declares, and every mutating one declares more than `read`. Walks /openapi.json, so a route
added tomorrow is covered without editing this file."""

import re
from typing import Any

import httpx
import pytest

from tests.samples import ADMIN, bearer

PUBLIC = {("get", "/health")}  # probes; /metrics, /docs and /openapi.json are not in the doc
SCOPES = ("read", "train", "admin")
SAFE_METHODS = {"get", "head"}
# POSTs that change nothing: a prediction reads a model, so a read key may ask for one.
READING_POSTS = re.compile(r"/predict$")
SAMPLE_PATH_VALUES = {"integer": "1"}
# DELETEs that undo what `train` sets (docs/security.md): removing an alias or an endpoint
# deletes no model, so it needs the scope that set it; every other DELETE needs admin.
TRAIN_DELETES = re.compile(r"/aliases/\{alias\}$|^/api/v1/endpoints/\{endpoint\}$")


async def operations(client: httpx.AsyncClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = (await client.get("/openapi.json")).json()
    return [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def required_scope(operation: dict[str, Any]) -> str:
    """The role the operation's security requirements name (the same for every scheme)."""
    roles = {
        role for requirement in operation["security"] for r in requirement.values() for role in r
    }
    assert len(roles) == 1, roles
    return roles.pop()


def concrete(path: str, operation: dict[str, Any]) -> str:
    types = {p["name"]: p["schema"].get("type") for p in operation.get("parameters", [])}
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PATH_VALUES.get(types.get(m[1]), "x0"), path)


async def call(
    client: httpx.AsyncClient, method: str, path: str, operation: dict, headers: dict
) -> httpx.Response:
    body = {"json": {}} if "requestBody" in operation else {}
    return await client.request(method.upper(), concrete(path, operation), headers=headers, **body)


async def test_every_operation_but_health_declares_a_scope(client: httpx.AsyncClient) -> None:
    ops = await operations(client)
    assert len(ops) > 15
    public = {(method, path) for method, path, operation in ops if not operation.get("security")}
    assert public == PUBLIC
    for method, path, operation in ops:
        if (method, path) in PUBLIC:
            continue
        scope = required_scope(operation)
        assert scope in SCOPES, (method, path)
        if method not in SAFE_METHODS and not READING_POSTS.search(path):
            assert scope != "read", f"{method.upper()} {path} mutates but needs only read"
        if method == "delete":
            wanted = "train" if TRAIN_DELETES.search(path) else "admin"
            assert scope == wanted, f"DELETE {path} must need {wanted}"


async def test_without_a_key_every_protected_operation_is_401(client: httpx.AsyncClient) -> None:
    bogus = "tf_" + "x" * 43
    for method, path, operation in await operations(client):
        if (method, path) in PUBLIC:
            continue
        for headers in ({}, bearer(bogus), {"X-API-Key": bogus}, {"Authorization": "Basic eA=="}):
            response = await call(client, method, path, operation, headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            if method != "head":
                assert "bootstrap" not in response.text.lower()
                assert response.json()["detail"].startswith("missing or invalid API key")


@pytest.mark.parametrize("scope", SCOPES)
async def test_a_key_reaches_exactly_the_operations_its_scope_includes(
    client: httpx.AsyncClient, scoped_keys: dict[str, str], scope: str
) -> None:
    rank = SCOPES.index(scope)
    for method, path, operation in await operations(client):
        if (method, path) in PUBLIC:
            continue
        needed = required_scope(operation)
        response = await call(client, method, path, operation, bearer(scoped_keys[scope]))
        if SCOPES.index(needed) > rank:
            assert response.status_code == 403, (scope, method, path, response.text)
            if method != "head":
                assert needed in response.json()["detail"]
        else:
            allowed = response.status_code not in (401, 403) and response.status_code < 500
            assert allowed, (scope, method, path, response.status_code, response.text)


async def test_x_api_key_header_works_like_bearer(
    client: httpx.AsyncClient, scoped_keys: dict[str, str]
) -> None:
    response = await client.get("/api/v1/models", headers={"X-API-Key": scoped_keys["read"]})
    assert response.status_code == 200
    response = await client.post(
        "/api/v1/maintenance/sweep", headers={"X-API-Key": scoped_keys["train"]}
    )
    assert response.status_code == 403


async def test_probes_docs_and_metrics_stay_open(client: httpx.AsyncClient) -> None:
    for path in ("/health", "/metrics", "/docs", "/openapi.json"):
        assert (await client.get(path)).status_code == 200, path


async def test_swagger_authorize_offers_both_headers(client: httpx.AsyncClient) -> None:
    schemes = (await client.get("/openapi.json")).json()["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerKey"].items()
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= schemes[
        "ApiKeyHeader"
    ].items()


async def test_the_bootstrap_key_is_admin(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/keys", headers=ADMIN)).status_code == 200
