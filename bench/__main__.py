"""`python -m bench`: TensorFleet against the bare fit, PyMongo and MLflow, in one run.

Starts its own Redis, FerretDB, API and workers; writes <output>/<date>.json and a markdown
table (stdout, and bench/RESULTS.md for a full run into the default output folder).

    python -m bench                    everything, MLflow included (installs its own venv)
    python -m bench --quick            tiny sizes, no MLflow: checks the harness (make test)
    python -m bench --only registry    one section (repeatable): train, throughput, registry,
                                       download, inference, ingest, tuning
    python -m bench --mongodb-url URL  against that MongoDB (e.g. MongoDB 7), not FerretDB
"""

import argparse
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import httpx

from bench import (
    download,
    inference,
    ingest,
    mlflow_bridge,
    registry,
    report,
    throughput,
    train,
    tuning,
)
from bench.stack import Stack

BENCH = Path(__file__).resolve().parent
SECTIONS = ("train", "throughput", "registry", "download", "inference", "ingest", "tuning")

FULL: dict[str, Any] = {
    "warmup": 2,
    "train_reps": 40,
    "mlflow_defaults_reps": 10,
    "mlflow_tuned_reps": 20,
    "throughput_jobs": 500,
    "throughput_warmup": 20,
    "throughput_cap_seconds": 480,
    "floor_fits": 500,
    "registry_sizes": [10_000, 100_000],
    "registry_reps": 300,
    "registry_read_budget_seconds": 20,
    "mlflow_versions": 10_000,
    "seed_budget_seconds": 300,
    "download_mb": 100,
    "download_reps": 5,
    "inference_concurrency": 8,
    "inference_seconds": 10,
    "inference_table_rows": 2000,
    "cold_start_reps": 5,
    "ingest_mb": 100,
    "ingest_reps": 3,
    "tuning_trials": 24,
    "tuning_trees": (150, 300),  # about a second per 3-fold trial on Wine
}
QUICK: dict[str, Any] = {
    "warmup": 1,
    "train_reps": 2,
    "mlflow_defaults_reps": 2,
    "mlflow_tuned_reps": 2,
    "throughput_jobs": 6,
    "throughput_warmup": 4,
    "throughput_cap_seconds": 120,
    "floor_fits": 10,
    "registry_sizes": [50, 100],
    "registry_reps": 5,
    "registry_read_budget_seconds": 2,
    "mlflow_versions": 200,
    "seed_budget_seconds": 30,
    "download_mb": 4,
    "download_reps": 1,
    "inference_concurrency": 2,
    "inference_seconds": 0.5,
    "inference_table_rows": 300,
    "cold_start_reps": 2,
    "ingest_mb": 2,
    "ingest_reps": 1,
    "tuning_trials": 3,
    "tuning_trees": (5, 10),
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes; skips MLflow")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run this section")
    parser.add_argument("--output", type=Path, default=BENCH / "results", help="JSON folder")
    mlflow = parser.add_mutually_exclusive_group()
    mlflow.add_argument("--mlflow", dest="mlflow", action="store_true", default=None)
    mlflow.add_argument("--no-mlflow", dest="mlflow", action="store_false")
    parser.add_argument(
        "--poll-delay", type=float, default=None, help="WORKER_POLL_DELAY_SECONDS for the workers"
    )
    parser.add_argument(
        "--work-dir", type=Path, default=BENCH / "work", help="where each run's stores and logs go"
    )
    parser.add_argument("--keep-work", action="store_true", help="keep logs and store data")
    parser.add_argument(
        "--mongodb-url",
        default="",
        help="measure against this MongoDB (e.g. MongoDB 7) instead of starting FerretDB; the "
        "run uses a new database and drops it at the end",
    )
    return parser.parse_args(argv)


def mlflow_status(args: argparse.Namespace) -> dict[str, Any]:
    wanted = args.mlflow if args.mlflow is not None else not args.quick
    if not wanted:
        return {"available": False, "reason": "skipped (--quick or --no-mlflow)"}
    if not {"train", "registry", "inference"} & set(args.only or SECTIONS):
        return {"available": False, "reason": "not needed by the chosen sections"}
    return mlflow_bridge.ensure()


def worker_env(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith("WORKER_")}
    if args.poll_delay is not None:
        env["WORKER_POLL_DELAY_SECONDS"] = str(args.poll_delay)
    return env


def guarded(name: str, results: dict[str, Any], run: Any) -> None:
    """Run one section; a failure is recorded in the results (and the report) and the run
    goes on, so one section's trouble never loses the others' figures."""
    try:
        results[name] = run()
    except Exception as exc:
        traceback.print_exc()
        results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"


def run_sections(stack: Stack, args: argparse.Namespace, config: dict, status: dict) -> dict:
    results: dict[str, Any] = {}
    sections = args.only or SECTIONS
    api_pid = stack.start_api()
    work = stack.work_dir
    if "train" in sections:
        stack.start_workers(1)
        with httpx.Client(base_url=stack.base_url, timeout=60) as client:
            guarded(
                "train",
                results,
                lambda: train.run(client, config, work, status, stack.clear_jobs_and_models),
            )
    if "throughput" in sections:
        guarded("throughput", results, lambda: throughput.run(stack, config, work))
    if "tuning" in sections:
        guarded("tuning", results, lambda: tuning.run(stack, config))
    stack.stop_workers()
    if "registry" in sections:
        guarded("registry", results, lambda: registry.run(stack, config, work, status))
    if "download" in sections:
        guarded("download", results, lambda: download.run(stack, config, api_pid))
    if "inference" in sections:
        guarded("inference", results, lambda: inference.run(stack, config, work, status))
    if "ingest" in sections:
        guarded("ingest", results, lambda: ingest.run(stack, config, api_pid))
    return results


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    config = QUICK if args.quick else FULL
    results: dict[str, Any] = {"quick": args.quick, "config": config}
    results["meta"] = report.machine_facts()
    status = mlflow_status(args)
    results["mlflow"] = status
    env = worker_env(args)
    results["worker_settings"] = env or "defaults of app/config.py"
    args.work_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="run-", dir=args.work_dir))
    try:
        with Stack(work_dir, worker_env=env, external_mongodb_url=args.mongodb_url) as stack:
            results["meta"]["store"] = stack.store_version()
            results |= run_sections(stack, args, config, status)
    finally:
        if not args.keep_work:
            shutil.rmtree(work_dir, ignore_errors=True)
    results["meta"]["load_average_end"] = os.getloadavg()
    path = report.write_json(results, args.output)
    text = report.markdown(results)
    print(text)
    if args.output.resolve() == (BENCH / "results").resolve() and not args.quick:
        (BENCH / "RESULTS.md").write_text(text)
    else:
        (args.output / "RESULTS.md").write_text(text)
    print(f"results: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
