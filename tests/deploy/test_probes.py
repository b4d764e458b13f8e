"""Every health check a deployment runs against the API (the image's HEALTHCHECK, compose's
healthcheck, the chart's HTTP probes and its `helm test` pod) asks a route the app has, and
one the request gate leaves open: probes carry no API key, so with auth on a keyed route would
answer 401 and the pods would never become ready."""

import re

import pytest
import yaml
from fastapi import FastAPI
from starlette.routing import Match

from app.config import Settings
from app.main import create_app
from app.security.gate import is_open
from tests.deploy.support import ROOT, VALUE_SETS, Render, containers, find

URL_PATH = re.compile(r"http://[^/'\"\s]+(/[^'\"\s]*)")


def is_get_route(app: FastAPI, path: str) -> bool:
    """Asks the app's router itself, as a request would be routed (included routers too)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] is Match.FULL for route in app.router.routes)


def dockerfile_paths() -> list[str]:
    healthcheck = [
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if "CMD [" in line
    ]
    return URL_PATH.findall(" ".join(healthcheck))


def compose_paths() -> list[str]:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    return [p for name in ("api",) for p in URL_PATH.findall(str(services[name]["healthcheck"]))]


def chart_paths(render: Render, values_file: str) -> list[str]:
    manifests = render(values_file)
    paths = []
    for workload in find(manifests, "Deployment"):
        for container in containers(workload):
            probes = [
                container.get(k, {}) for k in ("startupProbe", "readinessProbe", "livenessProbe")
            ]
            paths += [p["httpGet"]["path"] for p in probes if "httpGet" in p]
    for pod in find(manifests, "Pod"):  # the `helm test` pod
        paths += URL_PATH.findall(" ".join(pod["spec"]["containers"][0]["command"]))
    return paths


def assert_probe_able(paths: list[str]) -> None:
    assert paths, "found no health check to judge"
    app = create_app(Settings(_env_file=None, auth_enabled=True))
    for path in paths:
        assert is_get_route(app, path.split("?")[0]), f"{path} is not a GET route of the API"
        assert is_open(path), f"{path} needs an API key, which a probe does not send"


def test_the_image_and_compose_check_an_open_route() -> None:
    assert_probe_able(dockerfile_paths() + compose_paths())


@pytest.mark.parametrize("values_file", VALUE_SETS)
def test_the_chart_probes_open_routes(render: Render, values_file: str) -> None:
    assert_probe_able(chart_paths(render, values_file))


@pytest.mark.parametrize(
    ("path", "why"), [("/api/v1/models", "needs an API key"), ("/healthz", "not a GET route")]
)
def test_a_probe_on_a_keyed_or_missing_route_is_named(path: str, why: str) -> None:
    """The check can fail."""
    with pytest.raises(AssertionError, match=why):
        assert_probe_able([path])
