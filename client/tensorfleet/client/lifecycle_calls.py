"""Descriptions of the lifecycle endpoints (aliases, A/B endpoints), shared by the sync and
async clients like those in `calls`."""

from tensorfleet.client.calls import MODELS, Call, parsed_as, query, segment
from tensorfleet.schemas.aliases import AliasChange, AliasHistory, AliasList
from tensorfleet.schemas.registry import ModelRead


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
