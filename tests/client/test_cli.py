"""The `tensorfleet` CLI against the real service: every command, its --json output, exit codes."""

import json
import subprocess
from pathlib import Path

import joblib
import pandas as pd
import pytest

from devstack.services import free_port
from tensorfleet.cli.state import EXIT_ERROR, EXIT_JOB_FAILED, EXIT_TIMEOUT, EXIT_USAGE
from tests.client.support import Server, Tensorfleet
from tests.support import PROJECT, base_env


def ok_json(result) -> object:
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def one_line_error(result, code: int, text: str) -> None:
    """Exit code `code` and one `error:` line, the last on stderr (after any progress display)."""
    assert result.code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == [lines[-1]] and text in lines[-1], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def train(tensorfleet: Tensorfleet, url: str, *args: str) -> dict:
    return ok_json(tensorfleet("--url", url, "train", "--wait", "--json", *args))


def test_health_datasets_algorithms(live: Server, tensorfleet: Tensorfleet) -> None:
    assert ok_json(tensorfleet("--url", live.url, "health", "--json"))["status"] == "ok"
    datasets = ok_json(tensorfleet("--url", live.url, "datasets", "--json"))
    assert [d["name"] for d in datasets] == ["iris", "wine"]
    algorithms = ok_json(tensorfleet("--url", live.url, "algorithms", "--json"))
    assert {a["name"] for a in algorithms} == {
        "random_forest",
        "logistic_regression",
        "svm",
        "decision_tree",
        "ridge",
        "gradient_boosting",
    }
    table = tensorfleet("--url", live.url, "datasets")
    assert table.code == 0 and "iris" in table.stdout and "178" in table.stdout


def test_train_then_every_model_command(
    live: Server, tensorfleet: Tensorfleet, tmp_path: Path
) -> None:
    job = train(
        tensorfleet,
        live.url,
        "-d",
        "iris",
        "-a",
        "random_forest",
        "-n",
        "c-forest",
        "-p",
        "n_estimators=25",
        "-p",
        "max_depth=null",
        "--job-id",
        "cli-1",
    )
    assert job["status"] == "succeeded" and job["request"]["hyperparameters"] == {
        "n_estimators": 25,
        "max_depth": None,
    }
    shown = ok_json(tensorfleet("--url", live.url, "jobs", "show", "cli-1", "--json"))
    assert shown["model_id"] == job["model_id"]
    jobs = ok_json(
        tensorfleet("--url", live.url, "jobs", "list", "--status", "succeeded", "--json")
    )
    assert "cli-1" in [j["job_id"] for j in jobs["items"]]
    listing = ok_json(
        tensorfleet("--url", live.url, "models", "list", "--name", "c-forest", "--json")
    )
    assert [m["id"] for m in listing["items"]] == [job["model_id"]]
    model = ok_json(
        tensorfleet("--url", live.url, "models", "show", "--name", "c-forest", "--json")
    )
    assert model["id"] == job["model_id"] and model["version"] == 1
    saved = ok_json(
        tensorfleet(
            "--url", live.url, "models", "download", job["model_id"], "-o", str(tmp_path), "--json"
        )
    )
    assert saved["sha256"] == model["sha256"]
    row = pd.DataFrame([[5.1, 3.5, 1.4, 0.2]], columns=model["features"])
    assert joblib.load(saved["path"]).predict(row)[0] == "setosa"
    deleted = tensorfleet("--url", live.url, "models", "delete", job["model_id"], "--yes")
    assert deleted.code == 0 and job["model_id"] in deleted.stdout
    one_line_error(
        tensorfleet("--url", live.url, "models", "show", job["model_id"]), EXIT_ERROR, "(HTTP 404)"
    )


def test_tables_for_people(live: Server, tensorfleet: Tensorfleet) -> None:
    train(tensorfleet, live.url, "-d", "wine", "-a", "decision_tree", "-n", "c-table")
    for args, expected in [
        (("models", "list", "--all"), "c-table"),
        (("models", "show", "--name", "c-table"), "sha256"),
        (("jobs", "list"), "c-table"),
        (("stats",), "By algorithm"),
        (("health",), "mongodb"),
        (("algorithms",), "RandomForestClassifier"),
    ]:
        result = tensorfleet("--url", live.url, *args)
        assert result.code == 0 and expected in result.stdout, (args, result.stderr)


def test_train_wait_shows_progress_and_the_result(live: Server, tensorfleet: Tensorfleet) -> None:
    result = tensorfleet("--url", live.url, "train", "-d", "iris", "-a", "svm", "--wait")
    assert result.code == 0
    assert "succeeded" in result.stdout and "test accuracy" in result.stdout
    assert "done" in result.stderr  # the live display's last state


def test_a_failing_job_exits_with_3(live: Server, tensorfleet: Tensorfleet) -> None:
    result = tensorfleet(
        "--url",
        live.url,
        "train",
        "-d",
        "iris",
        "-a",
        "svm",
        "-n",
        "c-bad",
        "-p",
        "kernel=precomputed",
        "--wait",
        "--json",
    )
    assert result.code == EXIT_JOB_FAILED
    job = json.loads(result.stdout)
    assert job["status"] == "failed" and "square matrix" in job["error"]["message"]
    table = tensorfleet("--url", live.url, "jobs", "wait", job["job_id"])
    assert table.code == EXIT_JOB_FAILED and "square matrix" in table.stdout


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("train", "-d", "iris", "-a", "boosting"), EXIT_USAGE, "'boosting' is not one of"),
        (("train", "-d", "iris", "-a", "svm", "-p", "C"), EXIT_USAGE, "'C' is not name=value"),
        (("train", "-d", "iris", "-a", "svm", "--test-size", "2"), EXIT_USAGE, "test_size"),
        (("models", "show"), EXIT_USAGE, "give either a MODEL_ID or --name"),
        (("models", "list", "--limit", "0"), EXIT_USAGE, "--limit"),
        (("train", "-d", "nope", "-a", "svm"), EXIT_ERROR, "unknown dataset 'nope'"),
        (("train", "-d", "iris", "-a", "svm", "-p", "C=-1"), EXIT_ERROR, "(HTTP 422)"),
        (("jobs", "show", "missing"), EXIT_ERROR, "(HTTP 404)"),
        (("models", "delete", "0123456789abcdef01234567", "-y"), EXIT_ERROR, "(HTTP 404)"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(
    live: Server, tensorfleet: Tensorfleet, args: tuple[str, ...], code: int, text: str
) -> None:
    one_line_error(tensorfleet("--url", live.url, *args), code, text)


def test_unreachable_server(tensorfleet: Tensorfleet) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    one_line_error(
        tensorfleet("--url", url, "health"), EXIT_ERROR, f"cannot reach TensorFleet at {url}"
    )


def test_cancel_and_wait_timeout_on_a_queue_without_workers(
    idle: Server, tensorfleet: Tensorfleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENSORFLEET_URL", idle.url)  # no --url: the environment variable
    submitted = ok_json(tensorfleet("train", "-d", "wine", "-a", "svm", "--json"))
    assert submitted["status"] == "queued"
    one_line_error(
        tensorfleet("jobs", "wait", submitted["job_id"], "--timeout", "0.3"),
        EXIT_TIMEOUT,
        "still queued",
    )
    cancelled = ok_json(tensorfleet("jobs", "cancel", submitted["job_id"], "--json"))
    assert cancelled["status"] == "cancelled"
    one_line_error(tensorfleet("jobs", "cancel", submitted["job_id"]), EXIT_ERROR, "(HTTP 409)")


def test_the_console_script(live: Server) -> None:
    script = PROJECT / ".venv" / "bin" / "tensorfleet"
    done = subprocess.run(
        [script, "--url", live.url, "datasets", "--json"],
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and json.loads(done.stdout)[0]["name"] == "iris"
    bad = subprocess.run(
        [script, "train"], env=base_env(), capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == EXIT_USAGE and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: Missing option '--dataset'")


def test_the_demo(live: Server, tensorfleet: Tensorfleet, tmp_path: Path) -> None:
    """What `make demo` runs: 5 classifiers x 2 datasets, the best checked, one deleted."""
    result = tensorfleet("--url", live.url, "demo", "--output", str(tmp_path))
    assert result.code == 0, result.stdout + result.stderr
    assert "Trained models (10 of 10)" in result.stdout
    assert "loaded with joblib; predicts" in result.stdout
    assert (
        "it is gone (404)" in result.stdout and "demo complete: 10 models trained" in result.stdout
    )
    (downloaded,) = tmp_path.glob("demo-*.joblib")
    assert hasattr(joblib.load(downloaded), "predict")
    remaining = ok_json(tensorfleet("--url", live.url, "models", "list", "--all", "--json"))
    assert len([m for m in remaining if m["name"].startswith("demo-")]) == 9
