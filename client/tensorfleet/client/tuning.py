"""The tuning endpoints for both clients: one description per endpoint, and the methods the
sync and async clients inherit (each sends through its own `_send`)."""

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tensorfleet.client.calls import Call, parsed_as, query, segment
from tensorfleet.client.polling import Backoff, pause
from tensorfleet.schemas.training import JobStatus
from tensorfleet.schemas.tuning import TuningList, TuningRead, TuningRequest, TuningSubmitted

T = TypeVar("T")
OnUpdate = Callable[[TuningRead], None] | None


def tune(request: TuningRequest) -> Call[TuningSubmitted]:
    body = request.model_dump(mode="json", exclude_none=True)
    return Call("POST", "/tuning", parsed_as(TuningSubmitted), json=body, accept=(202,))


def get_tuning(tuning_id: str) -> Call[TuningRead]:
    return Call("GET", f"/tuning/{segment(tuning_id)}", parsed_as(TuningRead))


def list_tunings(status: JobStatus | str | None, page: int, limit: int) -> Call[TuningList]:
    params = query(status=status, page=page, limit=limit)
    return Call("GET", "/tuning", parsed_as(TuningList), params=params)


def cancel_tuning(tuning_id: str) -> Call[TuningRead]:
    return Call("POST", f"/tuning/{segment(tuning_id)}/cancel", parsed_as(TuningRead))


def still(tuning: TuningRead) -> str:
    return (
        f"tuning job {tuning.tuning_id} is still {tuning.status.value} "
        f"({tuning.trials_done} trials done, {tuning.trials_running} running)"
    )


class TuningMethods:
    """Searches, for the blocking client."""

    def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    def tune(self, request: TuningRequest | None = None, **fields: Any) -> TuningSubmitted:
        """Submit a search: a TuningRequest, or its fields (dataset_name, algorithm, space,
        metric, strategy, cv, max_trials, max_seconds, seed, ...) as keywords."""
        return self._send(tune(request or TuningRequest(**fields)))

    def get_tuning(self, tuning_id: str) -> TuningRead:
        return self._send(get_tuning(tuning_id))

    def list_tunings(
        self, *, status: JobStatus | str | None = None, page: int = 1, limit: int = 20
    ) -> TuningList:
        return self._send(list_tunings(status, page, limit))

    def cancel_tuning(self, tuning_id: str) -> TuningRead:
        return self._send(cancel_tuning(tuning_id))

    def wait_for_tuning(
        self,
        tuning_id: str,
        *,
        timeout: float = 3600.0,
        backoff: Backoff = Backoff(max_delay=1.0),
        on_update: OnUpdate = None,
    ) -> TuningRead:
        """Poll until the search ends and return it; JobWaitTimeout after `timeout` seconds."""
        deadline, delays = time.monotonic() + timeout, backoff.delays()
        while True:
            tuning = self.get_tuning(tuning_id)
            if on_update is not None:
                on_update(tuning)
            if tuning.status.ended:
                return tuning
            time.sleep(pause(delays, deadline - time.monotonic(), still(tuning), tuning))


class AsyncTuningMethods:
    """Searches, for the asyncio client."""

    async def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    async def tune(self, request: TuningRequest | None = None, **fields: Any) -> TuningSubmitted:
        """Submit a search: a TuningRequest, or its fields as keywords."""
        return await self._send(tune(request or TuningRequest(**fields)))

    async def get_tuning(self, tuning_id: str) -> TuningRead:
        return await self._send(get_tuning(tuning_id))

    async def list_tunings(
        self, *, status: JobStatus | str | None = None, page: int = 1, limit: int = 20
    ) -> TuningList:
        return await self._send(list_tunings(status, page, limit))

    async def cancel_tuning(self, tuning_id: str) -> TuningRead:
        return await self._send(cancel_tuning(tuning_id))

    async def wait_for_tuning(
        self,
        tuning_id: str,
        *,
        timeout: float = 3600.0,
        backoff: Backoff = Backoff(max_delay=1.0),
        on_update: OnUpdate = None,
    ) -> TuningRead:
        """Poll until the search ends and return it; JobWaitTimeout after `timeout` seconds."""
        deadline, delays = time.monotonic() + timeout, backoff.delays()
        while True:
            tuning = await self.get_tuning(tuning_id)
            if on_update is not None:
                on_update(tuning)
            if tuning.status.ended:
                return tuning
            await asyncio.sleep(pause(delays, deadline - time.monotonic(), still(tuning), tuning))
