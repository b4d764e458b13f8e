"""Drift: `python -m bench.drift` (`--quick` checks the harness; `--no-evidently` skips the peer).

1. The drift report on 100,000 live rows x 20 columns (14 numbers, 6 categories) against a
   reference of 100,000 rows: TensorFleet's (app/drift: the reference profile, as training
   stores it, then the report against it) and Evidently's DataDriftPreset (its own venv,
   bench/.venv-evidently) on the same two frames, in one run. Five columns are shifted on
   purpose (means moved by 0.5 and 1 standard deviation, a spread doubled, a new category, a
   changed balance), the other fifteen are drawn from the reference's distributions; both tools
   should flag exactly the five. Target: TensorFleet's report at least 10x faster.
2. The cost of live sampling on the predict path: POST /api/v1/models/{id}/predict (one row,
   logistic regression on Iris) through two apps in this process on the same stores, one with
   DRIFT_SAMPLE_RATE=1 and one with 0, in alternating blocks (so machine load hits both
   alike); p50 and p95 of each.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from sklearn.datasets import load_iris

from app.config import Settings
from app.drift.profile import reference_profile
from app.drift.publishing import publish_with_reference
from app.drift.report import Thresholds, compare
from app.drift.sampling import sample_key
from app.drift.service import compare_rows
from app.main import create_app
from app.training.fitting import FitSpec, fit_and_evaluate, library_versions
from bench import evidently_bridge
from bench.report import machine_facts
from bench.stack import Stack
from bench.stats import ratio, summarize

RESULTS = Path(__file__).resolve().parent / "results"
NUMBERS, CATEGORIES = 14, 6
SHIFTED = ["x00", "x01", "x02", "c00", "c01"]
TARGET_SPEEDUP = 10.0
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def frame(rows: int, seed: int, shifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shift = {"x00": (0.5, 1.0), "x01": (1.0, 1.0), "x02": (0.0, 2.0)} if shifted else {}
    data: dict[str, Any] = {}
    for i in range(NUMBERS):
        mean, spread = shift.get(f"x{i:02d}", (0.0, 1.0))
        data[f"x{i:02d}"] = rng.normal(10 * i + mean * (i + 1), spread * (i + 1), rows)
    labels = np.array([f"v{k}" for k in range(8)])
    for i in range(CATEGORIES):
        values, shares = labels, np.full(8, 1 / 8)
        if shifted and i == 0:  # a new category: 30% of rows take a value never seen
            values, shares = np.append(labels, "new"), np.append(np.full(8, 0.7 / 8), 0.3)
        if shifted and i == 1:  # a changed balance
            shares = np.array([0.44] + [0.08] * 7)
        data[f"c{i:02d}"] = rng.choice(values, rows, p=shares)
    return pd.DataFrame(data)


def columns(reference: pd.DataFrame) -> list[dict[str, str]]:
    return [
        {"name": str(name), "type": "numeric" if str(name).startswith("x") else "categorical"}
        for name in reference.columns
    ]


def tensorfleet_report(reference: pd.DataFrame, current: pd.DataFrame, reps: int) -> dict:
    """The profile (once, as training does), then the report, `reps` times: each starts from
    the current frame's columns, as the service starts from the sampled rows."""
    started = time.perf_counter()
    profile = reference_profile(columns(reference), reference, None, False)
    profile_seconds = time.perf_counter() - started
    seconds, report = [], None
    for _ in range(reps):
        started = time.perf_counter()
        live = {name: current[name].to_numpy() for name in current.columns}
        report = compare(profile, live, None, Thresholds())
        seconds.append(time.perf_counter() - started)
    assert report is not None
    return {
        "profile_seconds": round(profile_seconds, 4),
        "report": summarize(seconds),
        "drifted": report["drifted_columns"],
        "psi": {c["name"]: round(c["psi"], 4) for c in report["columns"]},
    }


def service_report(reference: pd.DataFrame, current: pd.DataFrame, reps: int) -> dict:
    """What GET /drift and the cron do on a full default sample (DRIFT_SAMPLE_CAP = 10,000
    rows): decode the stored JSON rows, build the columns, compare."""
    profile = reference_profile(columns(reference), reference, None, False)
    sample = current.head(10_000).astype(object).to_numpy().tolist()
    items = [json.dumps([*row, None]).encode() for row in sample]
    names = [str(name) for name in current.columns]
    seconds = []
    for _ in range(reps):
        started = time.perf_counter()
        rows = json.loads(b"[" + b",".join(items) + b"]")
        compare_rows(profile, names, rows, Thresholds())
        seconds.append(time.perf_counter() - started)
    return {"rows": len(items), "report": summarize(seconds)}


def evidently_report(reference: pd.DataFrame, current: pd.DataFrame, reps: int) -> dict:
    status = evidently_bridge.ensure()
    if not status["available"]:
        return status
    with tempfile.TemporaryDirectory() as work:
        paths = Path(work) / "reference.parquet", Path(work) / "current.parquet"
        reference.to_parquet(paths[0])
        current.to_parquet(paths[1])
        try:
            answer = evidently_bridge.drift(paths[0], paths[1], reps)
        except evidently_bridge.EvidentlyUnavailable as exc:
            return {"available": False, "reason": f"the report failed: {exc}"}
    found = answer["columns"]
    return status | {
        "report": summarize(answer["seconds"]),
        "drifted": [name for name in current.columns if found[name]["drifted"]],
        "methods": sorted({column["method"] for column in found.values()}),
    }


def drift_section(rows: int, reps: int, peer: bool) -> dict[str, Any]:
    reference, current = frame(rows, 1, False), frame(rows, 2, True)
    ours = tensorfleet_report(reference, current, reps)
    ours["service_sample"] = service_report(reference, current, reps)
    theirs: dict[str, Any] = {"available": False, "reason": "skipped (--quick or --no-evidently)"}
    if peer:
        theirs = evidently_report(reference, current, reps)
    result: dict[str, Any] = {
        "rows": rows,
        "columns": NUMBERS + CATEGORIES,
        "shifted": SHIFTED,
        "ours": ours,
    }
    result["evidently"] = theirs
    if theirs.get("available"):
        speedup = ratio(theirs["report"]["median_ms"], ours["report"]["median_ms"])
        result["speedup"] = speedup
        result["same_flags"] = ours["drifted"] == theirs["drifted"]
        result["met"] = bool(speedup and speedup >= TARGET_SPEEDUP and result["same_flags"])
    return result


async def publish_iris(settings: Settings) -> str:
    """A logistic regression on Iris, with its reference, published as training does."""
    iris = load_iris(as_frame=True)
    X, y = iris.data.set_axis(FEATURES, axis=1), iris.target.astype(str).to_numpy()
    spec = FitSpec("logistic_regression", {"max_iter": 1000}, 0.2, 0)
    result = await asyncio.to_thread(fit_and_evaluate, spec, X, y)
    metadata = {
        "name": "bench-drift",
        "algorithm": "logistic_regression",
        "hyperparameters": result.hyperparameters,
        "metrics": result.metrics,
        "dataset_name": "iris",
        "features": FEATURES,
        "classes": result.classes,
        "task": "classification",
        "input_schema": result.input_schema,
        "job_id": "bench-drift",
        "library_versions": library_versions(),
    }
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_url.unicode_string()
    )
    try:
        db = mongo[settings.mongodb_db]
        model = await publish_with_reference(
            db,
            AsyncGridFSBucket(db),
            payload=result.payload,
            metadata=metadata,
            reference=result.reference,
        )
    finally:
        await mongo.close()
    return str(model["_id"])


async def timed_block(client: httpx.AsyncClient, path: str, body: dict, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.post(path, json=body)
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
    return seconds


def settings_for(stack: Stack, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        mongodb_url=stack.mongodb_url,
        mongodb_db=stack.database,
        redis_url=stack.redis_url,
        queue_name=f"bench:{stack.database}",
        log_level="WARNING",
        **overrides,
    )


async def sampled_rows(stack: Stack, model_id: str) -> int:
    redis = aioredis.from_url(stack.redis_url)
    try:
        rows: int = await redis.llen(sample_key(stack.database, model_id))
    finally:
        await redis.aclose()
    return rows


async def alternate(
    clients: dict[str, httpx.AsyncClient], path: str, blocks: int, per_block: int
) -> dict[str, list[float]]:
    """Warm each app (the model loaded), then blocks of requests to each in turn."""
    body = {"dataframe_split": {"columns": FEATURES, "data": [[5.1, 3.5, 1.4, 0.2]]}}
    samples: dict[str, list[float]] = {key: [] for key in clients}
    for client in clients.values():
        await timed_block(client, path, body, 50)
    for _ in range(blocks):
        for key, client in clients.items():
            samples[key] += await timed_block(client, path, body, per_block)
    return samples


async def predict_section(stack: Stack, blocks: int, per_block: int) -> dict[str, Any]:
    model_id = await publish_iris(settings_for(stack))
    path = f"/api/v1/models/{model_id}/predict"
    on_app = create_app(settings_for(stack, drift_sample_rate=1.0))
    off_app = create_app(settings_for(stack, drift_sample_rate=0.0))
    async with LifespanManager(on_app) as on, LifespanManager(off_app) as off:
        clients = {
            key: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            for key, app in (("on", on.app), ("off", off.app))
        }
        samples = await alternate(clients, path, blocks, per_block)
        for client in clients.values():
            await client.aclose()
    on_, off_ = summarize(samples["on"]), summarize(samples["off"])  # the lifespan flushed
    return {
        "requests_each": len(samples["on"]),
        "sampling_on": on_,
        "sampling_off": off_,
        "p50_added_ms": round(on_["median_ms"] - off_["median_ms"], 4),
        "p50_ratio": ratio(on_["median_ms"], off_["median_ms"]),
        "sampled_rows_stored": await sampled_rows(stack, model_id),
    }


def report(results: dict[str, Any]) -> str:
    drift, predict = results["drift"], results["predict"]
    ours, theirs = drift["ours"], drift["evidently"]
    lines = [
        f"Drift report, {drift['rows']:,} rows x {drift['columns']} columns, shifted on purpose: "
        f"{', '.join(drift['shifted'])} (median / p95 ms)",
        f"  TensorFleet report    {ours['report']['median_ms']:10.1f} / "
        f"{ours['report']['p95_ms']:.1f}   flags {', '.join(ours['drifted'])}",
        f"  TensorFleet profile   {ours['profile_seconds'] * 1000:10.1f}"
        "          (once, at training)",
        f"  TensorFleet service   {ours['service_sample']['report']['median_ms']:10.1f} / "
        f"{ours['service_sample']['report']['p95_ms']:.1f}   (a 10,000-row stored sample: JSON "
        "decode + report)",
    ]
    if theirs.get("available"):
        lines += [
            f"  Evidently preset      {theirs['report']['median_ms']:10.1f} / "
            f"{theirs['report']['p95_ms']:.1f}   flags {', '.join(theirs['drifted'])}",
            f"  Evidently {theirs['versions']['evidently']} methods: "
            f"{', '.join(theirs['methods'])}",
            f"  speedup {drift['speedup']}x, same flags: {drift['same_flags']}; target >= "
            f"{TARGET_SPEEDUP:.0f}x and same flags: {'met' if drift['met'] else 'NOT met'}",
        ]
    else:
        lines.append(f"  Evidently: not available ({theirs.get('reason', 'skipped')})")
    on_, off_ = predict["sampling_on"], predict["sampling_off"]
    lines += [
        f"Predict, 1 row, in process, {predict['requests_each']} requests each (median / p95 ms)",
        f"  sampling on   {on_['median_ms']:8.3f} / {on_['p95_ms']:.3f}",
        f"  sampling off  {off_['median_ms']:8.3f} / {off_['p95_ms']:.3f}",
        f"  p50 added {predict['p50_added_ms']} ms (ratio {predict['p50_ratio']}); "
        f"rows in the sample afterwards: {predict['sampled_rows_stored']}",
        f"Load average at start {results['meta']['load_average_start']}, end "
        f"{results['meta']['load_average_end']} ({results['meta']['cpu_count']} CPUs)",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    rows, reps = (10_000, 2) if args.quick else (100_000, 3)
    blocks, per_block = (2, 20) if args.quick else (10, 200)
    results: dict[str, Any] = {"quick": args.quick, "meta": machine_facts()}
    results["drift"] = drift_section(rows, reps, peer=args.evidently and not args.quick)
    with tempfile.TemporaryDirectory() as work, Stack(Path(work)) as stack:
        results["predict"] = asyncio.run(predict_section(stack, blocks, per_block))
    results["meta"]["load_average_end"] = os.getloadavg()
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.drift", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="10,000 rows, no Evidently")
    parser.add_argument("--no-evidently", dest="evidently", action="store_false")
    args = parser.parse_args(argv)
    results = run(args)
    print(report(results))
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S")
        (RESULTS / f"drift-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
