"""Evaluations and explanations through the sync and async clients and the CLI
(`tensorfleet evaluate`, `evaluations`, `predict --explain`), against the real service."""

import csv
import io
import json
from pathlib import Path

import pytest

from tensorfleet.cli.state import EXIT_JOB_FAILED, EXIT_USAGE
from tensorfleet.client import AsyncTensorFleetClient, TensorFleetClient
from tensorfleet.schemas.registry import ModelRead
from tensorfleet.schemas.training import JobStatus
from tests.client.support import Server, Tensorfleet

IRIS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture(scope="module")
def model(live: Server) -> ModelRead:
    with TensorFleetClient(live.url) as tf:
        job = tf.wait_for_job(
            tf.train(dataset_name="iris", algorithm="decision_tree", model_name="gated").job_id,
            timeout=120,
        )
        assert job.status == JobStatus.succeeded, job.error
        return tf.get_model(str(job.model_id))


def test_the_sync_client_evaluates_promotes_and_explains(live: Server, model: ModelRead) -> None:
    with TensorFleetClient(live.url) as tf:
        done = tf.evaluate(
            "gated",
            "iris",
            thresholds={"accuracy": {"min": 0.8}},
            promote="production",
            wait=True,
            timeout=120,
        )
        assert done.status == JobStatus.succeeded and done.passed is True
        assert done.metrics is not None and done.metrics.accuracy is not None
        assert done.promoted is not None and done.promoted.to_version == model.version
        assert tf.aliased_model("gated", "production").id == model.id
        assert done.id in [e.id for e in tf.evaluations(model.id).items]
        answer = tf.predict(model, [[5.1, 3.5, 1.4, 0.2]], probabilities=True, explain=True)
        [row] = answer.explanations or []
        label = answer.predictions[0]
        total = row.base + sum(row.contributions.values())
        assert total == pytest.approx((answer.probabilities or [{}])[0][label])


async def test_the_async_client_reports_a_failed_threshold(live: Server, model: ModelRead) -> None:
    async with AsyncTensorFleetClient(live.url) as tf:
        done = await tf.evaluate(
            model, "iris", thresholds={"accuracy": {"min": 1.01}}, wait=True, timeout=120
        )
        assert done.passed is False and "below the minimum" in done.reasons[0]
        assert (await tf.get_evaluation(done.id)).passed is False


def test_the_cli_gates_on_the_verdict(
    live: Server, model: ModelRead, tensorfleet: Tensorfleet
) -> None:
    base = ("--url", live.url, "evaluate", "gated", "-d", "iris", "--wait")
    passed = tensorfleet(*base, "--min", "accuracy=0.8", "--max", "log_loss=5", "--json")
    assert passed.code == 0, passed.stderr
    assert json.loads(passed.stdout)["passed"] is True
    failed = tensorfleet(*base, "--version", str(model.version), "--min", "accuracy=1.01")
    assert failed.code == EXIT_JOB_FAILED and "failed" in failed.stdout
    refused = tensorfleet(*base, "--min", "speed=1")
    assert refused.code == EXIT_USAGE and "thresholds" in refused.stderr
    listed = tensorfleet("--url", live.url, "evaluations", model.id, "--json")
    assert listed.code == 0 and json.loads(listed.stdout)["total"] >= 2


def test_the_cli_predicts_with_contributions(
    live: Server, model: ModelRead, tensorfleet: Tensorfleet, tmp_path: Path
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(",".join(IRIS) + "\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    result = tensorfleet(
        "--url", live.url, "predict", model.id, "-f", str(rows), "--explain", "--proba"
    )
    assert result.code == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == 2
    for line in table:
        total = float(line["base"]) + sum(float(line[f"contribution_{c}"]) for c in IRIS)
        assert total == pytest.approx(float(line[f"proba_{line['prediction']}"]))
