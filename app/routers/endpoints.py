"""A/B endpoints over HTTP:

- `PUT    /api/v1/endpoints/{endpoint}`: create or replace (routes, weights, shadow) (train);
- `GET    /api/v1/endpoints`, `/api/v1/endpoints/{endpoint}`: read;
- `DELETE /api/v1/endpoints/{endpoint}`: remove it and its stats (train);
- `POST   /api/v1/endpoints/{endpoint}/predict`: predict (as model predict; read), sticky per
  `X-Routing-Key` when given;
- `GET    /api/v1/endpoints/{endpoint}/stats`: per version requests, errors, latency, share,
  and the shadow's disagreement.

HTTP only: app.endpoints does the work; errors map to HTTP in app/errors.py.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi import status as http

from app.dependencies import DatabaseDep, InferenceDep, RedisDep
from app.endpoints import service, stats, store
from app.endpoints.checks import check_endpoint
from app.routers.inference import PREDICT_ROUTE
from app.security.deps import TrainAccess, requires_read
from tensorfleet.schemas.endpoints import (
    EndpointList,
    EndpointRead,
    EndpointSet,
    EndpointStats,
)
from tensorfleet.schemas.training import IDENTIFIER_PATTERN

router = APIRouter(prefix="/api/v1/endpoints", tags=["endpoints"])
EndpointName = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN, description="Endpoint name."),
]
RoutingKey = Annotated[
    str | None,
    Header(
        alias="X-Routing-Key",
        max_length=256,
        description="Requests with the same key reach the same version (while the weights "
        "stay the same); without one, the version is drawn at random by weight.",
    ),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such endpoint, model name, version or alias."}
}


@router.get("", response_model=EndpointList, dependencies=[requires_read])
async def list_endpoints(db: DatabaseDep) -> EndpointList:
    documents = await store.list_endpoints(db)
    return EndpointList(items=[EndpointRead.from_document(d) for d in documents])


@router.put(
    "/{endpoint}",
    response_model=EndpointRead,
    responses={**NOT_FOUND, 422: {"description": "Bad weights, or versions of other inputs."}},
)
async def put_endpoint(
    db: DatabaseDep, endpoint: EndpointName, body: EndpointSet, principal: TrainAccess
) -> EndpointRead:
    """Create or replace the endpoint in one write: requests see the old routes and weights or
    the new ones, never a mix."""
    await check_endpoint(db, body)
    document = await store.put_endpoint(db, name=endpoint, body=body, by=principal.key_id)
    return EndpointRead.from_document(document)


@router.get(
    "/{endpoint}", response_model=EndpointRead, responses=NOT_FOUND, dependencies=[requires_read]
)
async def get_endpoint(db: DatabaseDep, endpoint: EndpointName) -> EndpointRead:
    return EndpointRead.from_document(await store.get_endpoint(db, name=endpoint))


@router.delete(
    "/{endpoint}",
    status_code=http.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=NOT_FOUND,
)
async def delete_endpoint(
    db: DatabaseDep,
    redis: RedisDep,
    inference: InferenceDep,
    endpoint: EndpointName,
    _: TrainAccess,
) -> None:
    """Remove the endpoint and its stats (the versions stay)."""
    await store.delete_endpoint(db, name=endpoint)
    await stats.forget(redis, inference.settings.mongodb_db, endpoint)


@router.get(
    "/{endpoint}/stats",
    response_model=EndpointStats,
    responses=NOT_FOUND,
    dependencies=[requires_read],
)
async def endpoint_stats(
    db: DatabaseDep, redis: RedisDep, inference: InferenceDep, endpoint: EndpointName
) -> EndpointStats:
    """Per version: requests, errors, invalid input, mean latency and share of the routed
    traffic; for the shadow, how many rows it disagreed on, and the latest comparisons."""
    document = await store.get_endpoint(db, name=endpoint)
    shadowed = document.get("shadow") is not None
    versions, shadow = await stats.read(
        redis, inference.settings.mongodb_db, endpoint, shadowed=shadowed
    )
    routed = sum(v.requests for v in versions if v.role == "route")
    return EndpointStats(
        name=endpoint, model=document["model"], requests=routed, versions=versions, shadow=shadow
    )


@router.post("/{endpoint}/predict", **PREDICT_ROUTE)
async def predict(
    endpoint: EndpointName,
    inference: InferenceDep,
    redis: RedisDep,
    request: Request,
    routing_key: RoutingKey = None,
) -> Response:
    """Predict through the endpoint: the same formats and answer as model predict, with
    `endpoint` and the `model` (version) that served."""
    body = await service.predict(
        inference, redis, name=endpoint, body=await request.body(), routing_key=routing_key
    )
    return Response(body, media_type="application/json")
