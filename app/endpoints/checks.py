"""Checks of an endpoint before it is stored: every route and the shadow name a version that
exists (a 404 otherwise), and all of them take the same input columns, so any request the
endpoint accepts fits whichever version serves it (a 422 naming the odd one out otherwise)."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from app.endpoints.exceptions import InvalidEndpoint
from app.inference.columns import model_input
from app.registry.service import resolve_model
from tensorfleet.schemas.endpoints import EndpointSet, Target
from tensorfleet.schemas.inference import ModelRef


def target_ref(model: str, target: Target) -> ModelRef:
    return ModelRef(name=model, version=target.version, alias=target.alias)


def targets(body: EndpointSet) -> list[tuple[tuple[str | int, ...], Target]]:
    """Each target with its location in the request body."""
    located: list[tuple[tuple[str | int, ...], Target]] = [
        (("body", "routes", number), route) for number, route in enumerate(body.routes)
    ]
    if body.shadow is not None:
        located.append((("body", "shadow"), body.shadow))
    return located


async def check_endpoint(db: AsyncDatabase, body: EndpointSet) -> None:
    first: tuple[str, list[tuple[str, Any]]] | None = None
    for location, target in targets(body):
        document = await resolve_model(db, target_ref(body.model, target))
        columns: list[tuple[str, Any]] = [
            (column.name, column.type) for column in model_input(document).columns
        ]
        label = f"{body.model} {target.label} (v{document['version']})"
        if first is None:
            first = (label, columns)
        elif columns != first[1]:
            message = (
                f"{label} takes other input columns than {first[0]}: "
                f"{[name for name, _ in columns]} against {[name for name, _ in first[1]]} "
                "(an endpoint's versions must take the same columns)"
            )
            raise InvalidEndpoint(location, message)
