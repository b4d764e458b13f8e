"""Searches through the clients and the CLI, against the real service (API and worker)."""

import json

import pytest

from tensorfleet.cli.state import EXIT_ERROR
from tensorfleet.client import AsyncTensorFleetClient, TensorFleetClient, ValidationFailed
from tensorfleet.schemas.training import JobStatus
from tests.client.support import Server, Tensorfleet

TREES = {"max_depth": {"type": "int", "low": 1, "high": 6}}


def test_the_sync_client_tunes_and_finds_the_registered_model(live: Server) -> None:
    with TensorFleetClient(live.url) as tf:
        submitted = tf.tune(
            dataset_name="iris", algorithm="decision_tree", space=TREES, max_trials=3, cv=2
        )
        seen: list[int] = []
        done = tf.wait_for_tuning(
            submitted.tuning_id, timeout=240, on_update=lambda t: seen.append(t.trials_done)
        )
        assert done.status == JobStatus.succeeded, done.error
        assert seen[-1] == 3 and seen == sorted(seen)
        model = tf.get_model(done.model_id)
        assert model.tuning_job_id == done.tuning_id and done.best is not None
        assert tf.list_tunings(limit=100).total >= 1
        with pytest.raises(ValidationFailed, match="max_depth"):
            tf.tune(
                dataset_name="iris",
                algorithm="decision_tree",
                space={"max_depth": {"type": "int", "low": 5, "high": 1}},
            )


async def test_the_async_client_cancels_a_search(live: Server) -> None:
    space = {"n_estimators": {"type": "int", "low": 500, "high": 900}}
    async with AsyncTensorFleetClient(live.url) as tf:
        submitted = await tf.tune(
            dataset_name="wine", algorithm="random_forest", space=space, max_trials=40
        )
        cancelled = await tf.cancel_tuning(submitted.tuning_id)
        assert cancelled.status == JobStatus.cancelled
        assert (await tf.wait_for_tuning(submitted.tuning_id, timeout=5)).status == "cancelled"


def test_the_cli_tunes_with_a_leaderboard_and_shows_the_search(
    live: Server, tensorfleet: Tensorfleet
) -> None:
    args = ("--url", live.url, "tune", "-d", "iris", "-a", "decision_tree", "--trials", "3")
    result = tensorfleet(*args, "--cv", "2", "--space", json.dumps(TREES), "--wait")
    assert result.code == 0, result.stderr
    assert "rank" in result.stdout and "decision_tree" in result.stdout
    assert "hold-out accuracy" in result.stdout

    listed = tensorfleet("--url", live.url, "tuning", "list", "--json")
    tuning_id = json.loads(listed.stdout)["items"][0]["tuning_id"]
    shown = json.loads(tensorfleet("--url", live.url, "tuning", "show", tuning_id, "--json").stdout)
    assert shown["status"] == "succeeded" and len(shown["trials"]) == 3
    refused = tensorfleet("--url", live.url, "tune", "-d", "iris", "--metric", "r2")
    assert refused.code == EXIT_ERROR and "metric" in refused.stderr
