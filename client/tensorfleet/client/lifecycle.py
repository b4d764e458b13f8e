"""The clients' lifecycle methods (aliases, A/B endpoints), as mixins: TensorFleetClient and
AsyncTensorFleetClient inherit them and supply `_send`."""

from typing import TypeVar

from tensorfleet.client import lifecycle_calls as calls
from tensorfleet.client.calls import Call
from tensorfleet.schemas.aliases import AliasChange, AliasHistory, AliasList
from tensorfleet.schemas.registry import ModelRead

T = TypeVar("T")


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
