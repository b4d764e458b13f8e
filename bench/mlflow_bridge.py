"""Calling MLflow, which lives in its own venv (bench/.venv-mlflow), through mlflow_runner.py.

`ensure()` creates the venv on first use (pip install mlflow, scikit-learn at our version);
when that fails (no network, say) the report says "MLflow: not available (<reason>)".
"""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import sklearn

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-mlflow"
PYTHON = VENV / "bin" / "python"
RUNNER = BENCH / "mlflow_runner.py"
MLFLOW_SPEC = "mlflow>=3,<4"
TIMEOUT_SECONDS = 3600


class MLflowUnavailable(RuntimeError):
    pass


def _run(argv: list[str], timeout: float = TIMEOUT_SECONDS) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MLflowUnavailable(f"{argv[0]}: {exc}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise MLflowUnavailable(f"exit {done.returncode}: {' | '.join(tail)}")
    return done.stdout


def install() -> None:
    if not PYTHON.exists():
        _run(["python3", "-m", "venv", str(VENV)])
    _run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            MLFLOW_SPEC,
            f"scikit-learn=={sklearn.__version__}",
        ]
    )


def call(request: dict[str, Any]) -> Any:
    out = _run([str(PYTHON), str(RUNNER), json.dumps(request)])
    lines = [line for line in out.strip().splitlines() if line.startswith("{")]
    if not lines:
        raise MLflowUnavailable(f"no JSON from mlflow_runner: {out[-300:]!r}")
    return json.loads(lines[-1])


def ensure() -> dict[str, Any]:
    """{"available": True, "versions": {...}} or {"available": False, "reason": "..."}."""
    try:
        try:
            versions = call({"mode": "info"})
        except MLflowUnavailable:
            install()
            versions = call({"mode": "info"})
    except MLflowUnavailable as exc:
        return {"available": False, "reason": str(exc)}
    return {"available": True, "versions": versions}


def train(*, cases: dict, tuned: bool, reps: int, warmup: int, work_dir: Path) -> dict:
    request = {
        "mode": "train",
        "cases": cases,
        "tuned": tuned,
        "reps": reps,
        "warmup": warmup,
        "work_dir": str(work_dir),
    }
    return call(request)


def registry(*, versions: int, reps: int, work_dir: Path) -> dict:
    return call({"mode": "registry", "versions": versions, "reps": reps, "work_dir": str(work_dir)})


def serve_env() -> dict[str, str]:
    """MLflow starts its server as `uvicorn ...` through a shell: its venv's bin goes first."""
    return os.environ | {"PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}


def serve_command(model_dir: Path, port: int) -> list[str]:
    """MLflow's scoring server on a saved model, in the environment it runs in already."""
    return [
        str(VENV / "bin" / "mlflow"),
        "models",
        "serve",
        "-m",
        str(model_dir),
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
