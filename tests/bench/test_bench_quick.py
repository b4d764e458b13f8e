"""`python -m bench --quick` runs end to end and reports every figure; no timing is asserted."""

import json
import subprocess
import sys

import pytest

from tests.support import PROJECT, base_env

# The quick run starts a whole stack and runs every section (the tuning one starts three more
# workers): on a busy 2-core machine it has taken over 300 s (the suite's default timeout), so
# its module gets more.
pytestmark = pytest.mark.timeout(900)

TRAIN_CASES = {"iris_logistic_regression", "iris_random_forest_100", "wine_svm"}
TRAIN_FIGURES = {
    "floor",
    "tensorfleet",
    "overhead_ms",
    "mlflow_defaults",
    "mlflow_tuned",
    "tensorfleet_over_mlflow_defaults",
    "tensorfleet_over_mlflow_tuned",
}
READS = {"page1", "deep_page", "deep_cursor", "filtered", "get"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    output = tmp_path_factory.mktemp("bench")
    argv = ["--quick", "--output", str(output), "--work-dir", str(output / "work")]
    done = subprocess.run(
        [sys.executable, "-m", "bench", *argv],
        cwd=PROJECT,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (result,) = output.glob("*.json")
    return json.loads(result.read_text()), done.stdout


def test_reports_machine_facts(quick_run: tuple[dict, str]) -> None:
    meta = quick_run[0]["meta"]
    for key in ("cpu_count", "python", "scikit-learn", "pymongo", "store", "commit"):
        assert meta[key], key
    assert meta["store"].startswith("FerretDB v1.24")


def test_reports_every_train_figure(quick_run: tuple[dict, str]) -> None:
    cases = quick_run[0]["train"]["cases"]
    assert set(cases) == TRAIN_CASES
    for figures in cases.values():
        assert set(figures) >= TRAIN_FIGURES
        assert figures["tensorfleet"]["median_ms"] is not None
        assert figures["floor"]["p99_ms"] is not None


def test_reports_waiting_by_long_poll_and_by_polling(quick_run: tuple[dict, str]) -> None:
    waiting = quick_run[0]["train"]["waiting"]
    assert set(waiting["ways"]) == {"long_poll", "backoff_polling", "poll_10ms"}
    for way in waiting["ways"].values():
        assert way["median_ms"] is not None and way["job_reads_per_job"] >= 1
    assert waiting["long_poll_over_backoff"] is not None
    assert "#### 1b. Submit and wait with the client" in quick_run[1]


def test_quick_mode_says_mlflow_was_skipped(quick_run: tuple[dict, str]) -> None:
    results, stdout = quick_run
    assert results["mlflow"]["available"] is False
    assert "MLflow: not available (" in stdout


def test_reports_throughput_with_one_and_two_workers(quick_run: tuple[dict, str]) -> None:
    throughput = quick_run[0]["throughput"]
    for key in ("workers_1", "workers_2"):
        assert throughput[key]["jobs_per_second"] > 0
        cpu = throughput[key]["cpu_ms_per_job"]
        assert set(cpu) == {"redis", "ferretdb", "api", "workers"}
        assert cpu["ferretdb"] > 0 and cpu["workers"] > 0
    assert throughput["floor"]["fits_per_second"] > 0
    assert "CPU ms per job, by process:" in quick_run[1]


def test_reports_every_registry_read_beside_its_floor(quick_run: tuple[dict, str]) -> None:
    sizes = quick_run[0]["registry"]["sizes"]
    assert len(sizes) == 2
    for size in sizes.values():
        assert set(size["reads"]) == READS
        for read in size["reads"].values():
            assert read["api"]["p99_ms"] is not None
            assert read["floor"]["p99_ms"] is not None


def test_reports_download_throughput_and_memory(quick_run: tuple[dict, str]) -> None:
    download = quick_run[0]["download"]
    assert download["api"]["median_mb_per_s"] > 0
    assert download["floor"]["median_mb_per_s"] > 0
    assert download["api_rss_growth_mb"]["max"] is not None


def test_reports_inference_beside_the_floor_and_the_bare_endpoint(
    quick_run: tuple[dict, str],
) -> None:
    inference = quick_run[0]["inference"]
    assert set(inference["cases"]) == {"logistic_regression", "random_forest_100"}
    for case in inference["cases"].values():
        assert case["model_bytes"] > 0
        for server in ("floor", "bare", "tensorfleet"):
            for rows in ("rows_1", "rows_100"):
                figures = case[server][rows]
                assert figures["rps"] > 0 and figures["p99_ms"] >= figures["p50_ms"] > 0
        assert case["tensorfleet"]["first_request_ms"] > 0
        for server in ("bare", "tensorfleet"):  # the same paced rate to both, a quarter of bare's
            moderate = case[server]["moderate"]
            assert moderate["rate"] == round(case["bare"]["rows_1"]["rps"] / 4, 1)
            assert moderate["n"] >= 1 and moderate["p99_ms"] >= moderate["p50_ms"] > 0
        for rows in ("rows_1", "rows_100"):  # predict with "explain": true, and its floor
            assert case["explain"][rows]["p50_ms"] > 0
            assert isinstance(case["explain"][rows]["added_ms_per_row"], float)
            assert case["explain"][f"floor_{rows}"]["p50_ms"] > 0
    assert "cold first request < 100 ms" in quick_run[1]
    assert '#### Predict with `"explain": true`' in quick_run[1]
    assert "p99 < 5 ms at moderate load" in quick_run[1]
    assert set(inference["table_cases"]) == {
        "table_logistic_regression",
        "table_random_forest_100",
    }
    for case in inference["table_cases"].values():
        for server in ("floor", "bare", "tensorfleet"):
            assert case[server]["rows_1"]["rps"] > 0
    for cold in inference["cold_start"].values():
        assert 0.8 < cold["model_bytes"] / (1 << 20) < 1.25 and len(cold["first_request_ms"]) == 2
        stages = {"metadata", "gridfs_read", "sha256", "joblib_load", "store_chunks"}
        assert set(cold["stages_ms"]) == stages
    assert set(inference["cold_start"]) == {"forest", "tree"}
    assert "Cold first request of a ~1 MB model" in quick_run[1]


def test_prints_the_markdown_table(quick_run: tuple[dict, str]) -> None:
    stdout = quick_run[1]
    headings = ("### 1. Train", "### 2. Throughput", "### 3. Registry", "### 4. Download")
    for heading in (*headings, "### 5. Inference"):
        assert heading in stdout
    assert "### Targets" in stdout


def test_reports_ingest_throughput_and_upload_memory(quick_run: tuple[dict, str]) -> None:
    ingest = quick_run[0]["ingest"]
    assert ingest["size_mb"] >= 2
    assert ingest["api"]["median_mb_per_s"] > 0 and ingest["floor"]["median_mb_per_s"] > 0
    assert 0 < ingest["read_and_copy_over_floor_throughput"] < 1.2  # the copy costs something
    assert ingest["api_rss_growth_mb"]["max"] is not None
    assert "Ingest of a" in quick_run[1] and "ingest ≥ 50% of pyarrow read" in quick_run[1]


def test_reports_the_tuning_search_beside_optuna_in_one_process(
    quick_run: tuple[dict, str],
) -> None:
    tuning = quick_run[0]["tuning"]
    for key in ("floor", "workers_1", "workers_2"):
        assert tuning[key]["best_score"] is not None and tuning[key]["wall_seconds"] > 0
    assert tuning["workers_1"]["holdout_score"] is not None
    assert tuning["overhead_ms_per_trial"] is not None and tuning["speedup_2_over_1"] > 0
    assert "### 7. Tuning" in quick_run[1]
