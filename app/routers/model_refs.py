"""The four ways a route names a model, and one way to serve a feature on all four.

A model is named by id (`/models/{model_id}`) or by name: its latest version
(`/models/by-name/{name}/latest`), one version (`.../versions/{version}`) or the version an
alias points at (`.../aliases/{alias}`). Each shape has one dependency that validates its path
parameters and yields a ModelRef (async, so no thread hop on the predict path); the services
hand that to app.registry.service.resolve_model, the one resolver, so every feature gets the
same checks and the same 404s.

A feature (predict, batch predictions, evaluations) writes one handler with a `ref: ModelRef`
parameter and registers it with `add_model_routes`, which binds `ref` to each shape's dependency.
FastAPI cannot take one dependency with optional path parameters (a path parameter is always
required), so the paths stay one per shape; what they share is declared here once.
"""

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from app.dependencies import DatabaseDep
from app.registry.service import resolve_model
from tensorfleet.schemas.aliases import ALIAS_MAX_LENGTH, ALIAS_PATTERN
from tensorfleet.schemas.inference import ModelRef
from tensorfleet.schemas.training import IDENTIFIER_PATTERN

ModelId = Annotated[str, Path(min_length=1, max_length=64, description="The model id.")]
ModelName = Annotated[
    str, Path(min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN, description="Model name.")
]
Version = Annotated[int, Path(ge=1, le=2**62, description="The model version.")]
Alias = Annotated[
    str, Path(max_length=ALIAS_MAX_LENGTH, pattern=ALIAS_PATTERN, description="An alias.")
]


async def by_id(model_id: ModelId) -> ModelRef:
    return ModelRef(model_id=model_id)


async def latest(name: ModelName) -> ModelRef:
    return ModelRef(name=name)


async def by_version(name: ModelName, version: Version) -> ModelRef:
    return ModelRef(name=name, version=version)


async def by_alias(name: ModelName, alias: Alias) -> ModelRef:
    return ModelRef(name=name, alias=alias)


@dataclass(frozen=True)
class Shape:
    """A way of naming a model: the path that leads to it and the dependency that reads it."""

    path: str
    reference: Callable[..., Awaitable[ModelRef]]


BY_ID = Shape("/models/{model_id}", by_id)
LATEST = Shape("/models/by-name/{name}/latest", latest)
VERSION = Shape("/models/by-name/{name}/versions/{version}", by_version)
ALIAS = Shape("/models/by-name/{name}/aliases/{alias}", by_alias)
# Registration order is routing order: by id first, as the routes were always declared.
SHAPES = (BY_ID, LATEST, VERSION, ALIAS)

Handler = Callable[..., Awaitable[Any]]
ModelIdRef = Annotated[ModelRef, Depends(by_id)]


async def model_by_id(db: DatabaseDep, ref: ModelIdRef) -> dict[str, Any]:
    """The model's document, for routes that read it themselves (get, download, drift); a 404
    for a malformed or unknown id."""
    return await resolve_model(db, ref)


ModelDep = Annotated[dict[str, Any], Depends(model_by_id)]


def bind(handler: Handler, shape: Shape) -> Handler:
    """`handler` with its `ref` parameter read from `shape`'s path; the rest of its signature
    (body, dependencies) is FastAPI's as written."""
    signature = inspect.signature(handler, eval_str=True)
    reference = Annotated[ModelRef, Depends(shape.reference)]
    parameters = [
        parameter.replace(annotation=reference) if parameter.name == "ref" else parameter
        for parameter in signature.parameters.values()
    ]

    async def endpoint(**values: Any) -> Any:
        return await handler(**values)

    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint


def add_model_routes(
    router: APIRouter,
    suffix: str,
    handler: Handler,
    names: Mapping[Shape, tuple[str, str]],
    **route: Any,
) -> None:
    """Register `handler` at `suffix` under every shape, in SHAPES' order. `names` gives each
    shape's route name (its OpenAPI operation id and summary) and description."""
    for shape in SHAPES:
        name, description = names[shape]
        endpoint = bind(handler, shape)
        router.add_api_route(
            shape.path + suffix, endpoint, name=name, description=description, **route
        )
