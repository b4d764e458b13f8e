"""values.yaml: every value is described, and the chart's defaults match the Settings defaults."""

import re

import yaml

from app.config import Settings
from tests.deploy.support import CHART

VALUES = CHART / "values.yaml"
KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w.-]*):(?P<rest>.*)$")


def undocumented_keys() -> list[str]:
    """Keys with no comment above them or above one of their parent keys."""
    missing, stack = [], []  # stack: (indent, key, documented)
    lines = VALUES.read_text().splitlines()
    for number, line in enumerate(lines):
        match = KEY.match(line)
        if not match:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        previous = lines[number - 1].strip() if number else ""
        documented = previous.startswith("#") or any(parent[2] for parent in stack)
        is_parent = match["rest"].strip() == ""
        if not documented and not is_parent:
            missing.append(".".join([*(p[1] for p in stack), match["key"]]))
        stack.append((indent, match["key"], documented))
    return missing


def test_every_value_is_commented() -> None:
    assert undocumented_keys() == []


def test_config_defaults_match_the_settings_defaults() -> None:
    config = yaml.safe_load(VALUES.read_text())["config"]
    for name, value in config.items():
        default = Settings.model_fields[name.lower()].default
        assert str(value) == str(default), f"config.{name}: {value!r} but Settings has {default!r}"


def test_ports_match_the_settings_defaults() -> None:
    values = yaml.safe_load(VALUES.read_text())
    assert values["api"]["port"] == Settings.model_fields["port"].default
    assert (
        values["worker"]["metrics"]["port"] == Settings.model_fields["worker_metrics_port"].default
    )
