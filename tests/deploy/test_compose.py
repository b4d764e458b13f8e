"""compose.yaml: the services, their health checks, credentials only from .env, the seed's ports."""

import re
from typing import Any

import pytest
import yaml

from app.config import Settings
from tests.deploy.support import REQUIRED_SETTINGS, ROOT, settings_env_names

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
APP_SERVICES = ("api", "worker")
REFERENCE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")
REQUIRED_IN_ENV = {
    "MONGO_ROOT_USERNAME",
    "MONGO_ROOT_PASSWORD",
    "REDIS_PASSWORD",
    "BOOTSTRAP_ADMIN_KEY",
}


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip().lstrip("#").strip()
        if re.match(r"^[A-Z_][A-Z0-9_]*=", line):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation of ${VAR}, ${VAR:-default} and ${VAR:?message}."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = env.get(name, "")
        if op and op.endswith("?") and not value:
            raise LookupError(f"required variable {name} is missing a value: {arg}")
        return value or (arg if op and op.endswith("-") else "")

    return REFERENCE.sub(replace, text)


def environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    assert isinstance(env, dict), f"{service}: write environment as a mapping"
    return {k: str(v) for k, v in env.items()}


def test_has_the_services() -> None:
    assert set(SERVICES) == {"mongodb", "redis", "api", "worker", "prometheus"}
    assert SERVICES["mongodb"]["image"].startswith("mongo:7.0")
    assert SERVICES["redis"]["image"].startswith("redis:7")


@pytest.mark.parametrize("service", ["mongodb", "redis", "api", "worker"])
def test_every_long_running_service_has_a_healthcheck(service: str) -> None:
    healthcheck = SERVICES[service]["healthcheck"]
    assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}
    assert {"interval", "timeout", "retries"} <= set(healthcheck)


def test_worker_healthcheck_is_the_arq_check() -> None:
    assert SERVICES["worker"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "-m",
        "workers",
        "--check",
    ]
    assert SERVICES["worker"]["command"] == ["python", "-m", "workers"]
    assert SERVICES["api"]["command"] == ["python", "-m", "app"]
    assert SERVICES["api"]["image"] == SERVICES["worker"]["image"]


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_waits_for_healthy_databases(service: str) -> None:
    depends_on = SERVICES[service]["depends_on"]
    for database in ("mongodb", "redis"):
        assert depends_on[database]["condition"] == "service_healthy"


def test_api_is_published_on_8000_and_on_the_seeds_registry_port_8083() -> None:
    assert sorted(SERVICES["api"]["ports"]) == ["8000:8000", "8083:8000"]
    assert environment("api")["PORT"] == "8000"


def test_worker_can_be_scaled() -> None:
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert environment("worker")["WORKER_METRICS_PORT"] in {str(p) for p in worker["expose"]}


def test_databases_persist_in_named_volumes_and_redis_appends_only() -> None:
    assert "mongodb-data:/data/db" in SERVICES["mongodb"]["volumes"]
    assert "redis-data:/data" in SERVICES["redis"]["volumes"]
    assert {"mongodb-data", "redis-data"} <= set(COMPOSE["volumes"])
    command = SERVICES["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


def test_credentials_only_come_from_env_with_a_message_when_missing() -> None:
    text = (ROOT / "compose.yaml").read_text()
    references = [m for m in REFERENCE.finditer(text) if m["name"] in REQUIRED_IN_ENV]
    assert {m["name"] for m in references} == REQUIRED_IN_ENV
    for match in references:
        assert match["op"] == ":?", f"${{{match['name']}}} must fail when unset: use :?message"
        assert ".env" in match["arg"], "the message should say where to set it"


def test_no_literal_credentials_in_urls_or_password_variables() -> None:
    placeholders = {name: f"XX{name}XX" for name in REQUIRED_IN_ENV}
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            for user, password in re.findall(
                r"://([^:@/]*):([^@]*)@", interpolate(value, placeholders)
            ):
                assert re.fullmatch(r"(XX[A-Z_]+XX)?", user), f"{name}.{key}: literal user"
                assert re.fullmatch(r"XX[A-Z_]+XX", password), f"{name}.{key}: literal password"
            if re.search(r"PASSWORD|USERNAME|AUTH|SECRET|TOKEN|_KEY$", key):
                assert REFERENCE.fullmatch(value), f"{name}.{key} is not taken from .env"
    command = SERVICES["redis"]["command"]
    assert REFERENCE.fullmatch(command[command.index("--requirepass") + 1])


def test_missing_password_stops_compose_with_its_name() -> None:
    env = env_example()
    text = (ROOT / "compose.yaml").read_text()
    interpolate(text, env)
    for name in REQUIRED_IN_ENV:
        with pytest.raises(LookupError, match=name):
            interpolate(text, {k: v for k, v in env.items() if k != name})


def test_env_example_sets_every_required_value_and_env_is_ignored() -> None:
    env = env_example()
    assert all(env.get(name) for name in REQUIRED_IN_ENV)
    optional = {m["name"] for m in REFERENCE.finditer((ROOT / "compose.yaml").read_text())}
    assert optional <= set(env), f"not documented in .env.example: {optional - set(env)}"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_environment_names_are_settings(service: str) -> None:
    names = set(environment(service))
    assert names <= settings_env_names(), f"not read by Settings: {names - settings_env_names()}"
    assert names >= REQUIRED_SETTINGS


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_environment_with_env_example_is_valid_settings(service: str) -> None:
    env = env_example()
    values = {k.lower(): interpolate(v, env) for k, v in environment(service).items()}
    settings = Settings(_env_file=None, **values)
    (mongodb,) = settings.mongodb_url.hosts()
    assert (mongodb["host"], mongodb["port"]) == ("mongodb", 27017)
    assert mongodb["username"] == env["MONGO_ROOT_USERNAME"]
    assert mongodb["password"] == env["MONGO_ROOT_PASSWORD"]
    assert settings.mongodb_url.path == "/tensorfleet"
    assert settings.mongodb_url.query == "authSource=admin"
    assert settings.redis_url.host == "redis"
    assert settings.redis_url.password == env["REDIS_PASSWORD"]
    if service == "api":
        assert settings.auth_enabled and settings.rate_limit
        assert settings.bootstrap_admin_key.get_secret_value() == env["BOOTSTRAP_ADMIN_KEY"]
    else:
        assert settings.bootstrap_admin_key is None, "the worker needs no API key"


def test_prometheus_is_optional_and_scrapes_api_and_every_worker() -> None:
    prometheus = SERVICES["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]
    mounted = [v.split(":")[0] for v in prometheus["volumes"]]
    assert "./deploy/prometheus/prometheus.yml" in mounted
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["tensorfleet-api"]["static_configs"][0]["targets"] == ["api:8000"]
    assert jobs["tensorfleet-api"]["metrics_path"] == "/metrics"
    worker_sd = jobs["tensorfleet-worker"]["dns_sd_configs"][0]
    assert worker_sd == worker_sd | {"names": ["worker"], "type": "A", "port": 9100}
    assert environment("worker")["WORKER_METRICS_PORT"] == "9100"
