"""The evaluation endpoints for both clients: one description per endpoint, and the methods
the sync and async clients inherit (each sends through its own `_send`)."""

import asyncio
import time
from typing import Any, TypeVar

from tensorfleet.client.calls import MODELS, Call, parsed_as, query, segment
from tensorfleet.client.polling import Backoff, pause
from tensorfleet.client.predict import OBJECT_ID
from tensorfleet.schemas.evaluation import EvaluationList, EvaluationRead, EvaluationRequest
from tensorfleet.schemas.registry import ModelRead

T = TypeVar("T")
Thresholds = dict[str, dict[str, float]]


def evaluations_path(model: str | ModelRead, version: int | None, alias: str | None) -> str:
    """By id (a ModelRead, or 24 hex digits); otherwise by name: an alias, a version, or its
    latest."""
    if isinstance(model, ModelRead):
        return f"{MODELS}/{segment(model.id)}/evaluations"
    if version is not None and alias is not None:
        raise ValueError("give a version or an alias, not both")
    named = f"{MODELS}/by-name/{segment(model)}"
    if alias is not None:
        return f"{named}/aliases/{segment(alias)}/evaluations"
    if version is not None:
        return f"{named}/versions/{version}/evaluations"
    if OBJECT_ID.match(model):
        return f"{MODELS}/{segment(model)}/evaluations"
    return f"{named}/latest/evaluations"


def evaluate(path: str, request: EvaluationRequest) -> Call[EvaluationRead]:
    body = request.model_dump(mode="json", exclude_none=True)
    body["thresholds"] = {
        metric: {k: v for k, v in bound.items() if v is not None}
        for metric, bound in body.get("thresholds", {}).items()
    }
    return Call("POST", path, parsed_as(EvaluationRead), json=body, accept=(202,))


def get_evaluation(evaluation_id: str) -> Call[EvaluationRead]:
    return Call("GET", f"/api/v1/evaluations/{segment(evaluation_id)}", parsed_as(EvaluationRead))


def list_evaluations(model_id: str, limit: int) -> Call[EvaluationList]:
    path = f"{MODELS}/{segment(model_id)}/evaluations"
    return Call("GET", path, parsed_as(EvaluationList), params=query(limit=limit))


def still(evaluation: EvaluationRead) -> str:
    return f"evaluation {evaluation.id} is still {evaluation.status.value} ({evaluation.stage})"


def submission(
    model: str | ModelRead,
    dataset_name: str,
    options: dict[str, Any],
) -> Call[EvaluationRead]:
    """The POST for `evaluate`'s arguments (version/alias pick the model, the rest the body)."""
    path = evaluations_path(model, options.pop("version", None), options.pop("alias", None))
    return evaluate(path, EvaluationRequest(dataset_name=dataset_name, **options))


class EvaluationMethods:
    """Evaluations, for the blocking client."""

    def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    def evaluate(
        self,
        model: str | ModelRead,
        dataset_name: str,
        *,
        wait: bool = False,
        timeout: float = 600.0,
        **options: Any,
    ) -> EvaluationRead:
        """Evaluate `model` (a ModelRead or an id, or a name with `version`, `alias` or
        neither: its latest) on a dataset (`dataset_version`: a version, else its latest ready
        one), with `thresholds` ({"accuracy": {"min": 0.9}}) and `promote` (an alias moved on a
        pass). With `wait`, return it once it ended."""
        evaluation = self._send(submission(model, dataset_name, dict(options)))
        return self.wait_for_evaluation(evaluation.id, timeout=timeout) if wait else evaluation

    def get_evaluation(self, evaluation_id: str) -> EvaluationRead:
        return self._send(get_evaluation(evaluation_id))

    def evaluations(self, model_id: str, *, limit: int = 20) -> EvaluationList:
        """A model's evaluations, newest first."""
        return self._send(list_evaluations(model_id, limit))

    def wait_for_evaluation(
        self, evaluation_id: str, *, timeout: float = 600.0, backoff: Backoff = Backoff()
    ) -> EvaluationRead:
        """Poll until the evaluation ends; JobWaitTimeout after `timeout` seconds."""
        deadline, delays = time.monotonic() + timeout, backoff.delays()
        while True:
            evaluation = self.get_evaluation(evaluation_id)
            if evaluation.status.ended:
                return evaluation
            time.sleep(pause(delays, deadline - time.monotonic(), still(evaluation), evaluation))


class AsyncEvaluationMethods:
    """Evaluations, for the asyncio client."""

    async def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    async def evaluate(
        self,
        model: str | ModelRead,
        dataset_name: str,
        *,
        wait: bool = False,
        timeout: float = 600.0,
        **options: Any,
    ) -> EvaluationRead:
        """As the blocking client's `evaluate`."""
        evaluation = await self._send(submission(model, dataset_name, dict(options)))
        if wait:
            return await self.wait_for_evaluation(evaluation.id, timeout=timeout)
        return evaluation

    async def get_evaluation(self, evaluation_id: str) -> EvaluationRead:
        return await self._send(get_evaluation(evaluation_id))

    async def evaluations(self, model_id: str, *, limit: int = 20) -> EvaluationList:
        return await self._send(list_evaluations(model_id, limit))

    async def wait_for_evaluation(
        self, evaluation_id: str, *, timeout: float = 600.0, backoff: Backoff = Backoff()
    ) -> EvaluationRead:
        deadline, delays = time.monotonic() + timeout, backoff.delays()
        while True:
            evaluation = await self.get_evaluation(evaluation_id)
            if evaluation.status.ended:
                return evaluation
            await asyncio.sleep(
                pause(delays, deadline - time.monotonic(), still(evaluation), evaluation)
            )
