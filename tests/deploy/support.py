"""Helpers of the deployment checks: paths, the Settings contract and rendered Helm manifests.

Nothing here needs Redis, MongoDB, Docker or a cluster: the Dockerfile is linted with hadolint,
compose.yaml is parsed, and the chart is linted and rendered with the pinned Helm that
`make setup` builds into .tools/bin (scripts/install-helm.sh).
"""

import base64
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "tensorfleet"
CI_VALUES = CHART / "ci"
HELM = ROOT / ".tools" / "bin" / "helm"
KUBE_VERSION = "1.30.0"
RELEASE = "tf"
# The chart's defaults plus the external URLs a default install must be given.
DEFAULTS = "default-values.yaml"

# Settings that hold credentials: only ever in a Secret (Helm) or interpolated from .env (compose).
SECRET_SETTINGS = {"MONGODB_URL", "REDIS_URL", "BOOTSTRAP_ADMIN_KEY", "METRICS_TOKEN"}
# The credentials each container gets with the chart's defaults (the worker needs no API key).
CONTAINER_SECRETS = {
    "api": {"MONGODB_URL", "REDIS_URL", "BOOTSTRAP_ADMIN_KEY"},
    "worker": {"MONGODB_URL", "REDIS_URL"},
}
# Settings a deployment must always set.
REQUIRED_SETTINGS = {"MONGODB_URL", "REDIS_URL", "MONGODB_DB"}

Manifest = dict[str, Any]


def settings_env_names() -> set[str]:
    """The environment variables the Settings class reads, as it is now."""
    return {name.upper() for name in Settings.model_fields}


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    if not HELM.exists():
        pytest.fail(f"{HELM} is missing: run `make setup` (scripts/install-helm.sh builds it)")
    return subprocess.run(
        [str(HELM), *args], capture_output=True, text=True, timeout=120, check=False
    )


@cache
def _render(values_file: str | None, sets: tuple[str, ...]) -> tuple[Manifest, ...]:
    args = ["template", RELEASE, str(CHART), "--namespace", "ml", "--kube-version", KUBE_VERSION]
    args += ["-f", str(CI_VALUES / (values_file or DEFAULTS))]
    for item in sets:
        args += ["--set", item]
    result = helm(*args)
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


Render = Callable[..., list[Manifest]]


@pytest.fixture(scope="session")
def render() -> Render:
    """render("bundled-values.yaml", "a.b=c", ...) -> the manifests of `helm template`; no file
    means default-values.yaml (the defaults with the two URLs they require)."""

    def run(values_file: str | None = None, *sets: str) -> list[Manifest]:
        return list(_render(values_file, sets))

    return run


def find(manifests: list[Manifest], kind: str, name: str | None = None) -> list[Manifest]:
    return [
        m
        for m in manifests
        if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
    ]


def one(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = find(manifests, kind, name)
    assert len(found) == 1, f"expected one {kind} {name}, got {len(found)}"
    return found[0]


def secret_data(secret: Manifest) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    return data | dict(secret.get("stringData") or {})


def containers(workload: Manifest) -> Iterator[Manifest]:
    yield from workload["spec"]["template"]["spec"]["containers"]


VALUE_SETS = sorted(p.name for p in CI_VALUES.glob("*.yaml"))
