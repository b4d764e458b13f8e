"""docs/deployment.md names what the files define: variables, values, ports, tools."""

import re

import pytest
import yaml

from deploy.chart_schema import CHART_SET
from tests.deploy.support import CHART, CI_VALUES, ROOT

DOCS = (ROOT / "docs" / "deployment.md").read_text()
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())


def value_exists(path: str) -> bool:
    node = VALUES
    for part in re.split(r"\.(?![^\[]*\])", path):
        name, _, index = part.partition("[")
        if isinstance(node, dict) and not node and name:  # a free-form map (labels, annotations)
            return True
        if not isinstance(node, dict) or name not in node:
            return False
        node = node[name]
        if index:
            node = node[int(index.rstrip("]"))]
    return True


def test_every_set_in_the_docs_is_a_chart_value() -> None:
    paths = re.findall(r"--set '?([\w.\[\]]+)=", DOCS)
    assert len(paths) > 10
    missing = [p for p in paths if not value_exists(p)]
    assert missing == []


def test_every_env_example_variable_is_documented() -> None:
    names = re.findall(r"^#? ?([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M)
    assert names
    for name in names:
        assert f"`{name}`" in DOCS, name


def test_compose_quick_start_matches_compose() -> None:
    assert "cp .env.example .env" in DOCS and "docker compose up -d" in DOCS
    assert "curl http://localhost:8000/health" in DOCS
    assert 'curl "http://localhost:8083/api/v1/models?page=1&limit=10"' in DOCS
    assert sorted(COMPOSE["services"]["api"]["ports"]) == ["8000:8000", "8083:8000"]
    assert "--scale worker=3" in DOCS
    (profile,) = COMPOSE["services"]["prometheus"]["profiles"]
    assert f"docker compose --profile {profile} up -d" in DOCS
    assert COMPOSE["services"]["prometheus"]["ports"] == ["127.0.0.1:9090:9090"]
    for volume in COMPOSE["volumes"]:
        assert f"`{volume}`" in DOCS, volume
    url = COMPOSE["services"]["api"]["environment"]["MONGODB_URL"]
    assert url.split("@", 1)[1] in DOCS


def test_settings_the_chart_sets_itself_are_named_in_the_docs() -> None:
    listed = re.search(r"those set from other values: (.+?)\.", DOCS, re.S)
    assert listed
    assert set(re.findall(r"`([A-Z_]+)`", listed.group(1))) == CHART_SET


@pytest.mark.parametrize("values_file", sorted(p.stem for p in CI_VALUES.glob("*.yaml")))
def test_checked_value_sets_are_described(values_file: str) -> None:
    kind = values_file.removesuffix("-values").replace("-", "")
    assert kind in DOCS.lower().replace(" ", "").replace("-", "")


def test_helm_version_matches_the_install_script() -> None:
    script = (ROOT / "scripts" / "install-helm.sh").read_text()
    version = re.search(r"^VERSION=(\S+)", script, re.M)
    assert version and f"Helm {version.group(1)}" in DOCS
