"""The worker's own Prometheus port shows the seed's worker metrics, moving as jobs end."""

import asyncio
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from devstack.services import free_port
from tests.support import spawn, wait_for_job


async def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    async with asyncio.timeout(60):
        while True:
            try:
                async with httpx.AsyncClient() as http:
                    text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                break
            except httpx.TransportError:  # the worker is still starting
                await asyncio.sleep(0.2)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_worker_metrics_count_jobs_and_show_accuracy(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    worker = spawn("workers", settings, tmp_path / "worker.log", WORKER_METRICS_PORT=str(port))
    try:
        before = await scrape(port)
        good = {"dataset_name": "iris", "algorithm": "decision_tree", "model_name": "m"}
        bad = good | {"algorithm": "svm", "hyperparameters": {"kernel": "precomputed"}}
        succeeded = await wait_for_job(
            client, (await client.post("/train", json=good)).json()["job_id"]
        )
        await wait_for_job(client, (await client.post("/train", json=bad)).json()["job_id"])
        after = await scrape(port)
    finally:
        worker.stop()

    def label(**labels: str) -> frozenset:
        return frozenset(labels.items())

    tree_ok = label(algorithm="decision_tree", outcome="succeeded")
    svm_failed = label(algorithm="svm", outcome="failed")
    assert ("worker_models_trained_total", tree_ok) not in before
    assert after[("worker_models_trained_total", tree_ok)] == 1
    assert after[("worker_models_trained_total", svm_failed)] == 1
    assert after[("worker_task_duration_seconds_count", tree_ok)] == 1
    assert after[("worker_task_duration_seconds_sum", tree_ok)] > 0
    accuracy = after[("worker_model_accuracy", label(algorithm="decision_tree", dataset="iris"))]
    assert accuracy == succeeded["metrics"]["test_accuracy"]
