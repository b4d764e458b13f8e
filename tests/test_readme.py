"""The README's tables tell the truth: every setting and every route is listed."""

import re
from pathlib import Path

import httpx

from app.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_configuration_table_lists_every_setting_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", README, flags=re.MULTILINE))
    assert set(rows) == {name.upper() for name in Settings.model_fields}
    for name, field in Settings.model_fields.items():
        default = field.default
        if default is None or default == "" or default is False:
            continue
        assert f"`{default}`" in rows[name.upper()].replace("`true`", "`True`"), name


def normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def documented_routes() -> set[tuple[str, str]]:
    routes = set()
    for methods, paths in re.findall(r"^\| ([A-Z, ]+) \| (`[^|]+) \|", README, flags=re.MULTILINE):
        for method in methods.split(", "):
            for path in re.findall(r"`([^`]+)`", paths):
                routes.add((method, normalise(path)))
    return routes


async def test_api_table_lists_every_route(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    served = {
        (method.upper(), normalise(path))
        for path, item in schema["paths"].items()
        for method in item
    }
    assert sorted(served - documented_routes()) == []
