"""Every stored request body refuses numbers BSON cannot hold, whatever field they sit in."""

import math
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from pydantic import ValidationError

from app.config import Settings
from app.main import create_app
from tensorfleet.schemas.bson_safe import INT64_MAX, INT64_MIN, StoredBody, unstorable_paths


def api_routes(routes: list) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI 0.165 keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from api_routes(included.routes)


def test_every_request_body_of_the_api_is_a_stored_body() -> None:
    app = create_app(Settings(_env_file=None))
    bodies = {
        route.body_field.field_info.annotation
        for route in api_routes(app.router.routes)
        if route.body_field is not None
    }
    assert bodies, "no route takes a body?"
    assert all(issubclass(body, StoredBody) for body in bodies), bodies


@pytest.mark.parametrize(
    ("value", "paths"),
    [
        ({"a": INT64_MAX, "b": INT64_MIN, "c": 1.5, "d": True, "e": "x"}, []),
        ({"a": INT64_MAX + 1}, ["a"]),
        ({"a": [0, {"b": INT64_MIN - 1}]}, ["a.1.b"]),
        ({"a": math.inf, "b": [math.nan]}, ["a", "b.0"]),
    ],
)
def test_unstorable_paths_names_each_number_bson_cannot_hold(value: object, paths: list) -> None:
    assert [path for path, _ in unstorable_paths(value)] == paths


class Loose(StoredBody):
    """A body whose author forgot the typed checks: the base still refuses."""

    anything: dict[str, object]


def test_a_body_typed_loosely_is_still_refused_naming_the_path() -> None:
    with pytest.raises(ValidationError, match=r"anything\.deep\.0: an integer beyond int64"):
        Loose(anything={"deep": [2**64]})
