"""docs/guide.md runs as written: its bash and python blocks, against a real API and worker."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.client.support import Server
from tests.support import PROJECT, base_env

GUIDE = (PROJECT / "docs" / "guide.md").read_text()
LOCAL_ONLY = [["make run"], ["make demo"]]  # what `make run` / `make demo` are; run by hand


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", GUIDE, re.M | re.S)


def run(argv: list[str], live: Server, cwd: Path) -> str:
    env = base_env() | {  # no TENSORFLEET_* of the developer's: the guide's own settings only
        "TENSORFLEET_URL": live.url,
        "PATH": f"{PROJECT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_only_the_make_blocks_are_left_to_people() -> None:
    make_blocks = [b.split("\n")[:-1] for b in blocks("bash") if b.startswith("make ")]
    assert make_blocks == LOCAL_ONLY


def test_the_bash_blocks(live: Server, tmp_path: Path) -> None:
    script = [b for b in blocks("bash") if not b.startswith("make ")]
    assert len(script) >= 4
    text = "set -euo pipefail\n" + "\n".join(script).replace("http://localhost:8000", live.url)
    out = run(["bash", "-c", text], live, tmp_path)
    assert '"job_id":"guide_001"' in out and '"total_models":' in out
    assert (tmp_path / "model.joblib").stat().st_size > 0
    assert "guide_forest" in out and list(tmp_path.glob("guide_forest-*.joblib"))
    assert "deleted model" in out and out.count("exit code") == 2
    assert "exit code 3" in out and "exit code 1" in out
    assert '"predictions":["setosa"]' in out and '"predictions":["virginica"]' in out
    assert (tmp_path / "predictions.csv").read_text().startswith("prediction,proba_setosa,")
    assert "classification 300 rows; features: ['age', 'plan', 'city', 'member', 'spend']" in out
    assert "customer_id categorical missing 0 identifier-like" in out
    assert "regression: R2 0.9" in out
    batch = (tmp_path / "churn_predictions.csv").read_text().splitlines()
    assert batch[0] == '"customer_id","prediction","proba_no","proba_yes"' and len(batch) == 301
    assert "deleted dataset customers_cli v1" in out and "customer_id" in out
    predictions = next(line for line in out.splitlines() if line.startswith("predictions:"))
    assert set(predictions.split(":", 1)[1].strip(" []").replace("'", "").split(", ")) <= {
        "yes",
        "no",
    }


def test_the_python_blocks(live: Server, tmp_path: Path) -> None:
    sync_example, predict_example, async_example = blocks("python")
    out = run([sys.executable, "-c", sync_example], live, tmp_path)
    assert "'iris'" in out and "'wine'" in out and "succeeded" in out and "404" in out
    assert "ready classification 40" in out and "[{'size': 0, 'kind': 'a'}, {'size': 1" in out
    assert (tmp_path / "guide_svm.joblib").exists()
    assert "succeeded" in run([sys.executable, "-c", async_example], live, tmp_path)
    out = run([sys.executable, "-c", predict_example], live, tmp_path)
    assert "['setosa']" in out and "guide_lr 1 ['virginica'] [{'setosa':" in out
