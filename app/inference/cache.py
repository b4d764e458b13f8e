"""The per-process model cache: bounded by bytes, least recently used out, loads once.

Entries are keyed by model id (references by name resolve to an id first) and weigh their
stored file size, the one size known before loading. Concurrent first requests for a model
share one load (single flight); a load that raced an invalidation of its model serves its
requests but is not kept. `trusted` is True while the deletion listener is subscribed: only
then may a cached entry answer without asking the store whether the model still exists.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.inference.columns import ModelInput, model_input
from app.metrics import MODEL_CACHE_BYTES, MODEL_CACHE_EVENTS, MODEL_CACHE_MODELS

Loader = Callable[[dict[str, Any]], Awaitable[Any]]


@dataclass(slots=True)
class LoadedModel:
    model_id: str
    document: dict[str, Any]
    estimator: Any
    size: int
    input: ModelInput
    predict_seconds: float | None = None  # the last call's CPU time: inline or thread
    explainer: Any = None  # built at the first `explain` (app/inference/explaining.py)


class ModelCache:
    def __init__(self, *, max_bytes: int, loader: Loader) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.trusted = False
        self._loader = loader
        self._entries: OrderedDict[str, LoadedModel] = OrderedDict()
        self._loading: dict[str, asyncio.Future[LoadedModel]] = {}
        self._stale: set[str] = set()  # invalidated while loading: serve, but do not keep

    def __contains__(self, model_id: str) -> bool:
        return model_id in self._entries

    def peek(self, model_id: str) -> LoadedModel | None:
        """The cached model (now the most recently used), or None; counts a hit."""
        entry = self._entries.get(model_id)
        if entry is not None:
            self._entries.move_to_end(model_id)
            MODEL_CACHE_EVENTS.labels("hit").inc()
        return entry

    async def get(self, document: dict[str, Any]) -> LoadedModel:
        """The model of this metadata, loaded at most once however many ask at once."""
        model_id = str(document["_id"])
        if (entry := self.peek(model_id)) is not None:
            return entry
        MODEL_CACHE_EVENTS.labels("miss").inc()
        loading = self._loading.get(model_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load(model_id, document))
            self._loading[model_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(model_id, None))
        return await asyncio.shield(loading)

    async def _load(self, model_id: str, document: dict[str, Any]) -> LoadedModel:
        try:
            estimator = await self._loader(document)
        except Exception:
            self._stale.discard(model_id)
            MODEL_CACHE_EVENTS.labels("load_failed").inc()
            raise
        MODEL_CACHE_EVENTS.labels("load").inc()
        size = int(document.get("size", 0))
        entry = LoadedModel(model_id, document, estimator, size, model_input(document))
        if model_id in self._stale:
            self._stale.discard(model_id)
        else:
            self._keep(entry)
        return entry

    def _keep(self, entry: LoadedModel) -> None:
        while self._entries and self.bytes + entry.size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size
            MODEL_CACHE_EVENTS.labels("eviction").inc()
        self._entries[entry.model_id] = entry
        self.bytes += entry.size
        self._report()

    def invalidate(self, model_id: str) -> None:
        """Forget a model (deleted): it is neither served from here nor kept by a running load."""
        if model_id in self._loading:
            self._stale.add(model_id)
        if (entry := self._entries.pop(model_id, None)) is not None:
            self.bytes -= entry.size
            self._report()

    def clear(self) -> None:
        for model_id in list(self._entries) + list(self._loading):
            self.invalidate(model_id)

    def _report(self) -> None:
        MODEL_CACHE_BYTES.set(self.bytes)
        MODEL_CACHE_MODELS.set(len(self._entries))
