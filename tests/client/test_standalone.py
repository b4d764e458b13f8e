"""The client and CLI stand on their own: no server module loads, and they install without it.

A data scientist installs `client/` (the `tensorfleet` distribution) and gets the client, the CLI
and the API's schemas, with none of the server's drivers: these tests hold that boundary.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client.support import Server
from tests.support import PROJECT

UV = PROJECT / ".tools" / "uv-venv" / "bin" / "uv"  # `make setup` installs it
SERVER_ONLY = {
    "app",
    "workers",
    "pymongo",
    "gridfs",
    "bson",
    "arq",
    "redis",
    "sklearn",
    "numpy",
    "joblib",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic_settings",
    "limits",
    "prometheus_client",
}
EVERY_CLIENT_MODULE = """
import pkgutil, sys
import tensorfleet
for module in pkgutil.walk_packages(tensorfleet.__path__, "tensorfleet."):
    if module.name != "tensorfleet.__main__":
        __import__(module.name)
print("\\n".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def clean_environment(**extra: str) -> dict[str, str]:
    """What a user's shell would have; unlike `tests.support.base_env`, no PYTHONPATH, which
    could put this checkout (and so `app`) on the client's path."""
    return {"PATH": os.defpath, "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"} | extra


def test_importing_every_client_module_loads_no_server_module(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", EVERY_CLIENT_MODULE],
        cwd=tmp_path,  # not the repository: `app` must not be importable from the working dir
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(done.stdout.split())
    assert {"tensorfleet", "httpx", "pydantic", "typer", "rich"} <= loaded
    assert sorted(loaded & SERVER_ONLY) == []


@pytest.fixture(scope="module")
def client_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the client distribution alone, at the versions uv.lock pins."""
    venv = tmp_path_factory.mktemp("client-only") / "venv"
    # uv keeps this shell's network settings (proxies, CA bundle); only the venv is new.
    shell = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env = shell | dict(
        UV_PROJECT_ENVIRONMENT=str(venv),
        UV_PYTHON=sys.executable,
        UV_PYTHON_DOWNLOADS="never",
        UV_LINK_MODE="copy",
    )
    done = subprocess.run(
        [str(UV), "sync", "--frozen", "--package", "tensorfleet", "--no-editable", "--quiet"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return venv / "bin"


def run_in(bin_dir: Path, argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bin_dir / argv[0]), *argv[1:]],
        cwd=cwd,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_client_venv_holds_no_server_package(client_only: Path, tmp_path: Path) -> None:
    probe = "import importlib.util as u; print([m for m in %r if u.find_spec(m)])"
    done = run_in(client_only, ["python", "-c", probe % sorted(SERVER_ONLY)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_installed_cli_helps_and_talks_to_the_server(
    client_only: Path, idle: Server, tmp_path: Path
) -> None:
    helped = run_in(client_only, ["tensorfleet", "--help"], tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert "train" in helped.stdout and "models" in helped.stdout
    listed = run_in(
        client_only, ["tensorfleet", "datasets", "--json"], tmp_path, TENSORFLEET_URL=idle.url
    )
    assert listed.returncode == 0, listed.stderr
    assert {"iris", "wine"} <= {d["name"] for d in json.loads(listed.stdout)}


SUBMIT_AND_READ = """
from tensorfleet.client import TensorFleetClient
from tensorfleet.schemas.training import JobStatus

with TensorFleetClient() as tf:
    job = tf.get_job(tf.train(dataset_name="iris", algorithm="svm", model_name="alone").job_id)
    assert job.status is JobStatus.queued, job
    print(job.request.model_name, tf.health().status)
"""


def test_the_installed_client_submits_and_reads_a_job(
    client_only: Path, idle: Server, tmp_path: Path
) -> None:
    done = run_in(
        client_only, ["python", "-c", SUBMIT_AND_READ], tmp_path, TENSORFLEET_URL=idle.url
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["alone", "ok"]


def test_the_demo_without_its_extra_says_what_to_install_before_training(
    client_only: Path, idle: Server, tmp_path: Path
) -> None:
    done = run_in(client_only, ["tensorfleet", "--url", idle.url, "demo"], tmp_path)
    assert done.returncode == 1
    assert "pip install 'tensorfleet[demo]'" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""  # not one step ran: nothing listed, nothing trained
