"""The clients' lifecycle methods (aliases, A/B endpoints), as mixins: TensorFleetClient and
AsyncTensorFleetClient inherit them and supply `_send`."""

from collections.abc import Sequence
from typing import Any, TypeVar

from tensorfleet.client import lifecycle_calls as calls
from tensorfleet.client.calls import Call
from tensorfleet.schemas.aliases import AliasChange, AliasHistory, AliasList
from tensorfleet.schemas.endpoints import (
    EndpointList,
    EndpointRead,
    EndpointSet,
    EndpointStats,
    Route,
    Target,
)
from tensorfleet.schemas.inference import PredictResponse
from tensorfleet.schemas.registry import ModelRead

T = TypeVar("T")
Routes = Sequence[Route | dict[str, Any]]


def endpoint_body(
    model: str, routes: Routes, shadow: Target | dict[str, Any] | None
) -> EndpointSet:
    """Checked here first, so a bad weight fails before the request (as the server would)."""
    return EndpointSet.model_validate({"model": model, "routes": list(routes), "shadow": shadow})


class Lifecycle:
    """Aliases and endpoints, blocking."""

    def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    def list_aliases(self, name: str) -> AliasList:
        """The name's aliases and the version each points at."""
        return self._send(calls.list_aliases(name))

    def set_alias(self, name: str, alias: str, version: int, *, warm: bool = True) -> AliasChange:
        """Point `alias` at `version` (create or move it, atomically); the change says from
        which version. Needs the train scope."""
        return self._send(calls.set_alias(name, alias, version, warm))

    def remove_alias(self, name: str, alias: str) -> AliasChange:
        return self._send(calls.remove_alias(name, alias))

    def aliased_model(self, name: str, alias: str) -> ModelRead:
        """The version the alias points at now."""
        return self._send(calls.aliased_model(name, alias))

    def alias_history(
        self, name: str, *, alias: str | None = None, limit: int = 50
    ) -> AliasHistory:
        """Changes, newest first: who moved which alias from which version to which."""
        return self._send(calls.alias_history(name, alias, limit))

    def put_endpoint(
        self,
        name: str,
        *,
        model: str,
        routes: Routes,
        shadow: Target | dict[str, Any] | None = None,
    ) -> EndpointRead:
        """Create or replace an A/B endpoint: routes are {"version" or "alias", "weight"};
        `shadow` ({"version" or "alias"}) gets a copy of each request. Needs train."""
        return self._send(calls.put_endpoint(name, endpoint_body(model, routes, shadow)))

    def get_endpoint(self, name: str) -> EndpointRead:
        return self._send(calls.get_endpoint(name))

    def list_endpoints(self) -> EndpointList:
        return self._send(calls.list_endpoints())

    def delete_endpoint(self, name: str) -> None:
        self._send(calls.delete_endpoint(name))

    def endpoint_stats(self, name: str) -> EndpointStats:
        """Per version requests, errors, latency and share; the shadow's disagreement."""
        return self._send(calls.endpoint_stats(name))

    def predict_endpoint(
        self,
        name: str,
        rows: Any,
        *,
        routing_key: str | None = None,
        probabilities: bool = False,
    ) -> PredictResponse:
        """Predict through the endpoint; the same `routing_key` always reaches the same
        version (while the weights stay); `model.version` says which served."""
        return self._send(calls.predict_endpoint(name, rows, routing_key, probabilities))


class AsyncLifecycle:
    """Aliases and endpoints, for asyncio."""

    async def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    async def list_aliases(self, name: str) -> AliasList:
        return await self._send(calls.list_aliases(name))

    async def set_alias(
        self, name: str, alias: str, version: int, *, warm: bool = True
    ) -> AliasChange:
        return await self._send(calls.set_alias(name, alias, version, warm))

    async def remove_alias(self, name: str, alias: str) -> AliasChange:
        return await self._send(calls.remove_alias(name, alias))

    async def aliased_model(self, name: str, alias: str) -> ModelRead:
        return await self._send(calls.aliased_model(name, alias))

    async def alias_history(
        self, name: str, *, alias: str | None = None, limit: int = 50
    ) -> AliasHistory:
        return await self._send(calls.alias_history(name, alias, limit))

    async def put_endpoint(
        self,
        name: str,
        *,
        model: str,
        routes: Routes,
        shadow: Target | dict[str, Any] | None = None,
    ) -> EndpointRead:
        """Create or replace an A/B endpoint: routes are {"version" or "alias", "weight"};
        `shadow` ({"version" or "alias"}) gets a copy of each request. Needs train."""
        return await self._send(calls.put_endpoint(name, endpoint_body(model, routes, shadow)))

    async def get_endpoint(self, name: str) -> EndpointRead:
        return await self._send(calls.get_endpoint(name))

    async def list_endpoints(self) -> EndpointList:
        return await self._send(calls.list_endpoints())

    async def delete_endpoint(self, name: str) -> None:
        await self._send(calls.delete_endpoint(name))

    async def endpoint_stats(self, name: str) -> EndpointStats:
        """Per version requests, errors, latency and share; the shadow's disagreement."""
        return await self._send(calls.endpoint_stats(name))

    async def predict_endpoint(
        self,
        name: str,
        rows: Any,
        *,
        routing_key: str | None = None,
        probabilities: bool = False,
    ) -> PredictResponse:
        """Predict through the endpoint; the same `routing_key` always reaches the same
        version (while the weights stay); `model.version` says which served."""
        return await self._send(calls.predict_endpoint(name, rows, routing_key, probabilities))
