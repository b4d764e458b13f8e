import pytest
from pydantic import ValidationError

from app.config import Settings, redact_url


def test_defaults_match_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MONGODB_URL", "MONGODB_DB", "REDIS_URL", "PORT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.mongodb_db == "tensorfleet"
    assert settings.port == 8000
    assert settings.log_level == "INFO"
    assert str(settings.mongodb_url).startswith("mongodb://")
    assert str(settings.redis_url).startswith("redis://")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGODB_URL", "mongodb://admin:secret@db.example:27017/?authSource=admin")
    monkeypatch.setenv("MONGODB_DB", "fleet")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6380/2")
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    settings = Settings(_env_file=None)
    assert settings.mongodb_url.hosts()[0]["host"] == "db.example"
    assert (settings.mongodb_db, settings.port, settings.log_level) == ("fleet", 9000, "DEBUG")
    assert settings.redis_url.path == "/2"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "70000"),
        ("PORT", "http"),
        ("MONGODB_URL", "postgres://x"),
        ("REDIS_URL", "localhost:6379"),
        ("LOG_LEVEL", "LOUD"),
        ("FIT_THREADS", "0"),
        ("HTTP_KEEP_ALIVE_SECONDS", "0"),
    ],
)
def test_invalid_values_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert caught.value.errors()[0]["loc"] == (name.lower(),)


def test_redact_url_hides_only_the_password() -> None:
    url = "mongodb://admin:password123@mongodb:27017/tensorfleet?authSource=admin"
    assert redact_url(url) == "mongodb://admin:***@mongodb:27017/tensorfleet?authSource=admin"
    assert redact_url("redis://localhost:6379/0") == "redis://localhost:6379/0"


@pytest.mark.parametrize("value", ["", "3"])
def test_fit_threads_is_optional_and_empty_means_the_default(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """An empty value (a ConfigMap or .env line left blank) means "work it out"."""
    monkeypatch.setenv("FIT_THREADS", value)
    assert Settings(_env_file=None).fit_threads == (int(value) if value else None)
