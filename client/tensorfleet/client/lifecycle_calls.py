"""Descriptions of the lifecycle endpoints (aliases, A/B endpoints), shared by the sync and
async clients like those in `calls`."""

from typing import Any

from tensorfleet.client.calls import MODELS, Call, no_content, parsed_as, query, segment
from tensorfleet.client.predict import predict_body
from tensorfleet.schemas.aliases import AliasChange, AliasHistory, AliasList
from tensorfleet.schemas.endpoints import (
    ROUTING_KEY_HEADER,
    EndpointList,
    EndpointRead,
    EndpointSet,
    EndpointStats,
)
from tensorfleet.schemas.inference import PredictResponse
from tensorfleet.schemas.registry import ModelRead

ENDPOINTS = "/api/v1/endpoints"


def aliases_path(name: str) -> str:
    return f"{MODELS}/by-name/{segment(name)}/aliases"


def list_aliases(name: str) -> Call[AliasList]:
    return Call("GET", aliases_path(name), parsed_as(AliasList))


def set_alias(name: str, alias: str, version: int, warm: bool) -> Call[AliasChange]:
    path = f"{aliases_path(name)}/{segment(alias)}"
    return Call("PUT", path, parsed_as(AliasChange), json={"version": version, "warm": warm})


def remove_alias(name: str, alias: str) -> Call[AliasChange]:
    return Call("DELETE", f"{aliases_path(name)}/{segment(alias)}", parsed_as(AliasChange))


def aliased_model(name: str, alias: str) -> Call[ModelRead]:
    return Call("GET", f"{aliases_path(name)}/{segment(alias)}", parsed_as(ModelRead))


def alias_history(name: str, alias: str | None, limit: int) -> Call[AliasHistory]:
    path = f"{MODELS}/by-name/{segment(name)}/alias-history"
    return Call("GET", path, parsed_as(AliasHistory), params=query(alias=alias, limit=limit))


def endpoint_path(name: str) -> str:
    return f"{ENDPOINTS}/{segment(name)}"


def put_endpoint(name: str, body: EndpointSet) -> Call[EndpointRead]:
    json = body.model_dump(mode="json")
    return Call("PUT", endpoint_path(name), parsed_as(EndpointRead), json=json)


def get_endpoint(name: str) -> Call[EndpointRead]:
    return Call("GET", endpoint_path(name), parsed_as(EndpointRead))


def list_endpoints() -> Call[EndpointList]:
    return Call("GET", ENDPOINTS, parsed_as(EndpointList))


def delete_endpoint(name: str) -> Call[None]:
    return Call("DELETE", endpoint_path(name), no_content, accept=(204,))


def endpoint_stats(name: str) -> Call[EndpointStats]:
    return Call("GET", f"{endpoint_path(name)}/stats", parsed_as(EndpointStats))


def predict_endpoint(
    name: str, rows: Any, routing_key: str | None, probabilities: bool
) -> Call[PredictResponse]:
    headers = {ROUTING_KEY_HEADER: routing_key} if routing_key is not None else {}
    path, body = f"{endpoint_path(name)}/predict", predict_body(rows, probabilities)
    return Call("POST", path, parsed_as(PredictResponse), json=body, headers=headers)
