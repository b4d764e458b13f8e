"""`python -m bench.store_patch`: stock FerretDB v1.24.2 against the build `make` installs (with
scripts/ferretdb-patches/ applied), measured in one run, interleaved.

The machine is shared, so the two builds never run in separate sessions: each round runs both,
one after the other on fresh stores, and the rounds alternate which goes first; the table shows
every round, so a round disturbed by other load shows up as a disagreement between rounds.
Per build and round: one worker's throughput on a burst of small jobs (bench.throughput's case),
FerretDB's CPU milliseconds per job, the p99 of `GET /api/v1/models/{id}` at 10,000 models, and
a driver's GridFS read of one 2.5 MB file from a bucket of 40 (patch 0002's case: a model's cold
load, a dataset's ingest and every training read one file of a bucket holding many).

    python -m bench.store_patch               3 rounds, 300 jobs, 10,000 models
    python -m bench.store_patch --quick       1 round, tiny sizes: checks the harness
"""

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from gridfs import GridFSBucket
from pymongo import MongoClient

from bench import registry, report, throughput
from bench.stack import Stack
from bench.stats import summarize
from devstack.services import FERRETDB, FERRETDB_STOCK, build_stock_ferretdb

BENCH = Path(__file__).resolve().parent
FULL = {"rounds": 3, "jobs": 300, "warmup": 20, "models": 10_000, "gets": 300}
FULL |= {"files": 40, "file_bytes": 2_500_000, "reads": 10}
QUICK = {"rounds": 1, "jobs": 6, "warmup": 2, "models": 200, "gets": 10}
QUICK |= {"files": 3, "file_bytes": 300_000, "reads": 2}


def jobs(stack: Stack, config: dict[str, Any]) -> dict[str, Any]:
    """One worker, a warm-up burst, then the measured burst with CPU per job."""
    stack.start_workers(1)
    asyncio.run(throughput.burst(stack.base_url, config["warmup"], "warm", 600.0))
    stack.clear_jobs_and_models()
    before = stack.cpu_seconds()
    result = asyncio.run(throughput.burst(stack.base_url, config["jobs"], "burst", 600.0))
    result["cpu_ms_per_job"] = throughput.cpu_ms_per_job(before, stack.cpu_seconds(), result)
    stack.stop_workers()
    return result


def gets(stack: Stack, config: dict[str, Any]) -> dict[str, Any]:
    """`GET /api/v1/models/{id}` for random ids drawn from the whole seeded registry."""
    asyncio.run(registry.create_indexes(stack.mongodb_url, stack.database))
    mongo: MongoClient[dict[str, Any]] = MongoClient(stack.mongodb_url, tz_aware=True)
    with mongo:
        models = mongo[stack.database]["models"]
        registry.seed(models, 0, config["models"], time.monotonic() + 600)
        ids = registry.sample_ids(models, 2000)
    rng = random.Random(11)
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:

        def call() -> None:
            client.get(f"/api/v1/models/{rng.choice(ids)}").raise_for_status()

        samples = registry.timed(call, config["gets"], budget=120)
    return {"models": config["models"], "get": summarize(samples)}


def gridfs_reads(stack: Stack, config: dict[str, Any]) -> dict[str, Any]:
    """Whole reads of random files of one bucket through PyMongo's GridFSBucket."""
    mongo: MongoClient[dict[str, Any]] = MongoClient(stack.mongodb_url)
    rng = random.Random(13)
    with mongo:
        bucket = GridFSBucket(mongo[stack.database], bucket_name="bench")
        ids = [
            bucket.upload_from_stream(f"f{n}", rng.randbytes(config["file_bytes"]))
            for n in range(config["files"])
        ]

        def call() -> None:
            bucket.open_download_stream(rng.choice(ids)).read()

        samples = registry.timed(call, config["reads"], budget=300)
    read = summarize(samples)
    return {"files": config["files"], "file_bytes": config["file_bytes"], "read": read}


def measure(binary: Path, config: dict[str, Any], work: Path) -> dict[str, Any]:
    with Stack(work, ferretdb_binary=binary) as stack:
        store = stack.store_version()
        stack.start_api()
        result = {"store": store, "throughput": jobs(stack, config)}
        result["registry"] = gets(stack, config)
        result["gridfs"] = gridfs_reads(stack, config)
    return result


def row(round_number: int, result: dict[str, Any]) -> str:
    burst = result["throughput"]
    get, read = result["registry"]["get"], result["gridfs"]["read"]
    return (
        f"| {round_number} | {result['store']} | {burst['jobs_per_second']} | "
        f"{burst['cpu_ms_per_job'].get('ferretdb')} | {get['median_ms']} | {get['p99_ms']} | "
        f"{read['median_ms']} |"
    )


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"FerretDB build, stock against patched, {results['date']}, interleaved "
        f"({results['config']['jobs']} jobs with one worker; gets at "
        f"{results['config']['models']:,} models; GridFS reads of one "
        f"{results['config']['file_bytes'] / 1e6:g} MB file of {results['config']['files']}):",
        "",
        "| round | store | jobs/s | FerretDB CPU ms/job | get median ms | get p99 ms "
        "| GridFS read median ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for number, pair in enumerate(results["rounds"], 1):
        lines += [row(number, result) for result in pair]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.store_patch", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round, tiny sizes")
    parser.add_argument("--output", type=Path, default=BENCH / "results")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    build_stock_ferretdb()
    results: dict[str, Any] = {"date": date.today().isoformat(), "config": config, "rounds": []}
    results["meta"] = report.machine_facts()
    work = Path(tempfile.mkdtemp(prefix="store-patch-", dir=tempfile.gettempdir()))
    try:
        for number in range(config["rounds"]):
            order = [FERRETDB_STOCK, FERRETDB] if number % 2 == 0 else [FERRETDB, FERRETDB_STOCK]
            pair = [measure(binary, config, work / f"{number}-{binary.name}") for binary in order]
            results["rounds"].append(sorted(pair, key=lambda result: result["store"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.output.mkdir(parents=True, exist_ok=True)
    name = f"{results['date']}-store-patch{'-quick' if args.quick else ''}.json"
    (args.output / name).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
