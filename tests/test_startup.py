"""`python -m app` refuses bad settings and unreachable stores with one clear line."""

import subprocess
import sys
from pathlib import Path

import pytest

from devstack.services import free_port
from tests.support import Stack, base_env


def run_api(project_root: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=project_root,
        capture_output=True,
        text=True,
        timeout=60,
        env=base_env() | {"DEPENDENCY_TIMEOUT_SECONDS": "1"} | env,
    )


@pytest.mark.parametrize("setting", ["MONGODB_URL", "REDIS_URL"])
def test_unreachable_store_exits_with_one_line(
    project_root: Path, stack: Stack, setting: str
) -> None:
    dead = free_port()
    env = {
        "MONGODB_URL": stack.mongodb_url,
        "REDIS_URL": stack.redis_url + "/0",
        "PORT": str(free_port()),
    }
    env[setting] = (
        f"mongodb://user:hunter2@127.0.0.1:{dead}/"
        if setting == "MONGODB_URL"
        else f"redis://127.0.0.1:{dead}/0"
    )
    result = run_api(project_root, **env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, result.stderr
    assert f"cannot reach {setting}=" in errors[0]
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr


def test_invalid_setting_exits_naming_it(project_root: Path) -> None:
    result = run_api(project_root, PORT="not-a-port")
    assert result.returncode == 1
    assert "invalid setting PORT" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("BOOTSTRAP_ADMIN_KEY", "k" * 257, "32 to 256 characters"),
        ("BOOTSTRAP_ADMIN_KEY", "ключ-" * 8, "printable ASCII"),
        ("BOOTSTRAP_ADMIN_KEY", "change-me-to-a-random-admin-key-of-32-characters", "placeholder"),
        ("MONGODB_URL", "mongodb://tensorfleet:change-me-mongodb@127.0.0.1:1/", "placeholder"),
        ("REDIS_URL", "redis://:change-me-redis@127.0.0.1:1/0", "placeholder"),
        ("HYPERPARAMETER_BOUNDS", '{"svm": {"n_estimators": {"maximum": 5}}}', "no bound on"),
        ("HYPERPARAMETER_BOUNDS", '{"svm": {"degree": {"maximum": -1, "minimum": 2}}}', "above"),
    ],
)
def test_unusable_or_public_values_exit_1_with_one_line(
    project_root: Path, setting: str, value: str, message: str
) -> None:
    """A bootstrap key that could never match, and the placeholders .env.example once shipped,
    stop the API at start rather than at the first request (or never)."""
    result = run_api(project_root, **{setting: value})
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, result.stderr
    assert f"invalid setting {setting}" in errors[0] and message in errors[0], errors[0]
    assert "Traceback" not in result.stderr
    assert value not in result.stderr or setting == "HYPERPARAMETER_BOUNDS"
