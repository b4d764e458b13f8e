"""Calling Evidently, which lives in its own venv (bench/.venv-evidently), through
evidently_runner.py: Evidently is a benchmark peer, never a dependency of the server.

`ensure()` creates the venv on first use (pip install evidently, with pandas below 3: Evidently
0.7 imports a pandas internal that pandas 3 removed); when that fails (no network, say) the
report says "Evidently: not available (<reason>)".
"""

import json
import subprocess
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-evidently"
PYTHON = VENV / "bin" / "python"
RUNNER = BENCH / "evidently_runner.py"
SPECS = ("evidently>=0.7,<0.8", "pandas>=2.2,<3", "pyarrow")
TIMEOUT_SECONDS = 3600


class EvidentlyUnavailable(RuntimeError):
    pass


def _run(argv: list[str]) -> str:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EvidentlyUnavailable(f"{argv[0]}: {exc}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise EvidentlyUnavailable(f"exit {done.returncode}: {' | '.join(tail)}")
    return done.stdout


def install() -> None:
    if not PYTHON.exists():
        _run(["python3", "-m", "venv", str(VENV)])
    _run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *SPECS])


def call(request: dict[str, Any]) -> Any:
    out = _run([str(PYTHON), str(RUNNER), json.dumps(request)])
    lines = [line for line in out.strip().splitlines() if line.startswith("{")]
    if not lines:
        raise EvidentlyUnavailable(f"no JSON from evidently_runner: {out[-300:]!r}")
    return json.loads(lines[-1])


def ensure() -> dict[str, Any]:
    """{"available": True, "versions": {...}} or {"available": False, "reason": "..."}."""
    try:
        try:
            versions = call({"mode": "info"})
        except EvidentlyUnavailable:
            install()
            versions = call({"mode": "info"})
    except EvidentlyUnavailable as exc:
        return {"available": False, "reason": str(exc)}
    return {"available": True, "versions": versions}


def drift(reference: Path, current: Path, reps: int) -> dict[str, Any]:
    request = {"mode": "drift", "reference": str(reference), "current": str(current)}
    answer: dict[str, Any] = call(request | {"reps": reps})
    return answer
