"""The environment the chart and compose set is exactly what app.config.Settings reads.

Compared with Settings.model_fields at test time: a misspelt or removed setting fails here, and a
setting added to Settings is accepted by these checks without a change.
"""

import json
import math

import pytest
import yaml

from app.config import Settings
from tests.deploy.support import (
    CHART,
    CONTAINER_SECRETS,
    REQUIRED_SETTINGS,
    ROOT,
    SECRET_SETTINGS,
    VALUE_SETS,
    Render,
    containers,
    find,
    secret_data,
    settings_env_names,
)


def pod_environment(manifests: list[dict], container: dict) -> dict[str, str | dict]:
    """Name -> value (from ConfigMaps via envFrom) or valueFrom (from env)."""
    env: dict[str, str | dict] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        (configmap,) = (c for c in find(manifests, "ConfigMap") if c["metadata"]["name"] == name)
        env |= configmap["data"]
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


def app_containers(manifests: list[dict]) -> list[dict]:
    return [
        c
        for d in find(manifests, "Deployment")
        for c in containers(d)
        if c["name"] in {"api", "worker"}
    ]


def whole_cores(container: dict, ref: dict) -> int:
    """What Kubernetes puts in a resourceFieldRef with divisor 1: the quantity rounded up."""
    assert ref["resource"] == "requests.cpu" and ref["divisor"] == "1"
    quantity = str(container["resources"]["requests"]["cpu"])
    return (
        math.ceil(int(quantity[:-1]) / 1000)
        if quantity.endswith("m")
        else math.ceil(float(quantity))
    )


@pytest.mark.parametrize("values_file", VALUE_SETS)
def test_chart_sets_only_settings_and_all_required_ones(render: Render, values_file: str) -> None:
    manifests = render(values_file)
    assert len(app_containers(manifests)) == 2
    for container in app_containers(manifests):
        env = pod_environment(manifests, container)
        assert set(env) <= settings_env_names(), set(env) - settings_env_names()
        assert set(env) >= REQUIRED_SETTINGS | CONTAINER_SECRETS[container["name"]]
        for name in SECRET_SETTINGS & set(env):
            assert set(env[name]) == {"secretKeyRef"}, f"{name} must come from a Secret"


def test_worker_fits_share_the_pods_cpu_request_not_the_nodes_cpus(render: Render) -> None:
    manifests = render(None, "worker.resources.requests.cpu=2500m")
    (worker,) = (c for c in app_containers(manifests) if c["name"] == "worker")
    env = pod_environment(manifests, worker)
    assert whole_cores(worker, env["WORKER_CPUS"]["resourceFieldRef"]) == 3  # type: ignore[index]
    settings = Settings(_env_file=None, worker_cpus="3", worker_max_jobs=env["WORKER_MAX_JOBS"])
    assert settings.worker_cpus == 3 and settings.fit_threads is None


@pytest.mark.parametrize("values_file", VALUE_SETS)
def test_chart_environment_is_valid_settings(render: Render, values_file: str) -> None:
    manifests = render(values_file)
    secrets = {s["metadata"]["name"]: secret_data(s) for s in find(manifests, "Secret")}
    for container in app_containers(manifests):
        values = {}
        for name, value in pod_environment(manifests, container).items():
            if isinstance(value, dict) and "resourceFieldRef" in value:
                value = str(whole_cores(container, value["resourceFieldRef"]))
            elif isinstance(value, dict):
                ref = value["secretKeyRef"]
                if ref["name"] not in secrets:  # existingSecret: made outside the chart
                    continue
                value = secrets[ref["name"]][ref["key"]]
            values[name.lower()] = value
        Settings(_env_file=None, **values)


def test_schema_config_keys_are_non_secret_settings() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    keys = set(schema["properties"]["config"]["properties"])
    assert keys <= settings_env_names() - SECRET_SETTINGS, keys - settings_env_names()
    assert not keys & {"PORT", "WORKER_METRICS_PORT"}, "set from api.port and worker.metrics.port"
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["config"]
    assert set(defaults) <= keys


def test_compose_sets_only_settings_in_the_app_services() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    for name in ("api", "worker"):
        env = set(services[name]["environment"])
        assert env <= settings_env_names(), env - settings_env_names()
        assert env >= REQUIRED_SETTINGS
