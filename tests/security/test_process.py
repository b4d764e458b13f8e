"""`python -m app` with auth: a clear warning when it is off, a clear refusal when it is on
with no admin key, and no key or database password in its output."""

import subprocess
import sys

import httpx
import pytest
from pydantic import MongoDsn

from app.config import Settings
from tests.samples import bearer
from tests.support import PROJECT, SettingsFactory, Stack, run_api, settings_env

BOOTSTRAP = "5ec7e7" * 11  # like `openssl rand -hex 32`: no tf_ prefix needed
DB_PASSWORD = "Db-Pa55word-log-check"


def run_briefly(settings: Settings, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = settings_env(settings) | {"PORT": "1", "HOST": "127.0.0.1", "PATH": ""}
    return subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_auth_on_without_any_admin_key_exits_1_with_one_line(
    settings_factory: SettingsFactory,
) -> None:
    result = run_briefly(settings_factory(auth_enabled=True))
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "BOOTSTRAP_ADMIN_KEY" in lines[0] and "ERROR" in lines[0]


def test_auth_off_warns_at_start(settings_factory: SettingsFactory, tmp_path) -> None:
    with run_api(settings_factory(), tmp_path / "api.log") as api:
        output = api.output()
    assert "WARNING" in output
    assert (
        "authentication is OFF: anyone who can reach this port can delete models; "
        "set AUTH_ENABLED=true" in output
    )


async def test_no_key_or_password_in_the_logs(
    settings_factory: SettingsFactory, stack: Stack, tmp_path
) -> None:
    if "@" in stack.mongodb_url:
        pytest.skip("TEST_MONGODB_URL has its own credentials")
    host = stack.mongodb_url.removeprefix("mongodb://").rstrip("/")
    url = f"mongodb://tensorfleet:{DB_PASSWORD}@{host}/?authMechanism=PLAIN"
    settings = settings_factory(
        auth_enabled=True,
        bootstrap_admin_key=BOOTSTRAP,
        log_level="DEBUG",
        metrics_token="metrics-" + "T0ken" * 6,
        mongodb_url=MongoDsn(url),
    )
    with run_api(settings, tmp_path / "api.log") as api:
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
            created = await http.post(
                "/api/v1/keys", json={"name": "log", "scopes": ["admin"]}, headers=bearer(BOOTSTRAP)
            )
            assert created.status_code == 201
            key = created.json()["key"]
            for headers in (bearer(key), {"X-API-Key": key}, bearer(key + "x"), bearer(BOOTSTRAP)):
                await http.get("/api/v1/models", headers=headers)
                await http.post("/train", json={"dataset_name": "iris"}, headers=headers)
            await http.delete(f"/api/v1/keys/{created.json()['id']}", headers=bearer(BOOTSTRAP))
            await http.get("/api/v1/models", headers=bearer(key))
            assert (await http.get("/metrics")).status_code == 401
            metrics = await http.get("/metrics", headers=bearer("metrics-" + "T0ken" * 6))
            assert metrics.status_code == 200
    output = api.output()
    assert "API key" in output and created.json()["id"] in output  # it did log the events
    for secret in (BOOTSTRAP, key, DB_PASSWORD, "T0kenT0ken", key[10:]):
        assert secret not in output


async def test_a_request_cannot_write_control_characters_into_the_log(
    settings_factory: SettingsFactory, tmp_path
) -> None:
    """The 401 line names the path, which arrives percent-decoded: an ESC in it reached the
    log as is (a terminal that shows the log runs `ESC [2J`, and the like). Control characters
    in a message are written escaped; CR and LF never start a line of the caller's."""
    settings = settings_factory(auth_enabled=True, bootstrap_admin_key=BOOTSTRAP)
    forged = "2026-01-01 00:00:00,000 WARNING tensorfleet: FORGED"
    with run_api(settings, tmp_path / "api.log") as api:
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
            path = "/jobs/x%1B[2J%07%0D%0A" + forged.replace(" ", "%20")
            assert (await http.get(path)).status_code == 401
    lines = api.output().splitlines()
    assert not any(line.startswith(forged[:10]) for line in lines)
    (logged,) = [line for line in lines if "401 for GET /jobs/x" in line]
    assert "/jobs/x\\x1b[2J\\x07" in logged and "FORGED" in logged
    assert not any(char in logged for char in "\x1b\x07")
