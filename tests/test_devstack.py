"""`make run` (`python -m devstack`) as a new user meets it: its own Redis and FerretDB, the API
on PORT and again on the seed's registry port, a worker; the seed's flow across both ports;
Ctrl-C stops everything it started."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devstack.services import free_port, port_open
from tests.support import PROJECT, Process, base_env, wait_until_healthy

SEED_BODY = {
    "job_id": "job_001",
    "dataset_name": "iris",
    "algorithm": "random_forest",
    "model_name": "my_model",
    "hyperparameters": {"n_estimators": 10},
}


def wait_for_job(url: str, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end")


def test_make_run_serves_the_seed_on_both_ports_and_ctrl_c_stops_all(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("api", "registry", "redis", "mongodb")}
    env = base_env() | {
        "TENSORFLEET_DATA_DIR": str(tmp_path / "data"),
        "PORT": str(ports["api"]),
        "LOCAL_REGISTRY_PORT": str(ports["registry"]),
        "LOCAL_REDIS_PORT": str(ports["redis"]),
        "LOCAL_MONGODB_PORT": str(ports["mongodb"]),
        "WORKER_METRICS_PORT": "0",
    }
    log = tmp_path / "devstack.log"
    with log.open("wb") as sink:
        stack = subprocess.Popen(
            [sys.executable, "-m", "devstack"], cwd=PROJECT, env=env, stdout=sink, stderr=sink
        )
    api, registry = (f"http://localhost:{ports[name]}" for name in ("api", "registry"))
    try:
        for url in (api, registry):
            wait_until_healthy(Process("devstack", stack, log, url), timeout=180)
        response = httpx.post(f"{api}/train", json=SEED_BODY)
        assert response.status_code == 202, response.text
        job = wait_for_job(api, "job_001")
        assert job["status"] == "succeeded", job
        listing = httpx.get(f"{registry}/api/v1/models", params={"page": 1, "limit": 10}).json()
        assert [m["id"] for m in listing["items"]] == [job["model_id"]]
        download = httpx.get(f"{registry}/api/v1/models/{job['model_id']}/download")
        assert download.status_code == 200 and len(download.content) > 0
        assert httpx.get(f"{registry}/api/v1/statistics").json()["total_models"] == 1
    finally:
        stack.send_signal(signal.SIGINT)
        code = stack.wait(timeout=60)
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "Traceback" not in output
    assert not any(port_open(port) for port in ports.values()), output
