"""Figure 5: ingesting an uploaded CSV against reading it with pyarrow in one process.

The file (`ingest_mb` MiB of a customers-like table: numbers, text categories, gaps) is written
once. TensorFleet's time runs from the first byte of `POST /datasets` to the version's `ready`
(upload streamed into GridFS, the worker's download, parse, validation, profile and normalised
Parquet copy, and the polls), split into the upload (until the POST answers) and the rest; the
floor is `pyarrow.csv.read_csv` of the same file here. The
API process's RSS is sampled during the upload; its growth is the peak minus the RSS before.

Beside the floor, `read_and_copy`: the same read followed by `pyarrow.parquet.write_table` of
the table, in this process, with no store, profile or check. An ingest must at least do that
(the issue asks for a normalised copy, design.md suggests Parquet), so it bounds what such an
ingest can reach here.
"""

import random
import time
from pathlib import Path
from typing import Any

import httpx
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from bench.download import MIB, PeakRss
from bench.stack import Stack
from bench.stats import summarize

POLL_SECONDS = 0.05
UPLOAD_CHUNK = MIB


def write_table(path: Path, size: int) -> int:
    """A CSV of about `size` bytes; returns its exact size."""
    rng = random.Random(5)
    plans, cities = ["basic", "plus", "pro"], ["Lyon", "Oslo", "Porto", "Turin", ""]
    with path.open("w") as out:
        out.write("customer_id,age,plan,city,member,spend,churned\n")
        row = 0
        while out.tell() < size:
            lines = []
            for _ in range(10_000):
                age = "" if row % 9 == 0 else f"{rng.gauss(45, 12):.1f}"
                spend = f"{rng.uniform(10, 200):.2f}"
                member = "true" if rng.random() < 0.5 else "false"
                churned = "yes" if rng.random() < 0.3 else "no"
                plan, city = rng.choice(plans), rng.choice(cities)
                lines.append(f"C{row},{age},{plan},{city},{member},{spend},{churned}\n")
                row += 1
            out.write("".join(lines))
    return path.stat().st_size


def chunks(path: Path) -> Any:
    with path.open("rb") as source:
        while chunk := source.read(UPLOAD_CHUNK):
            yield chunk


def wait_ready(client: httpx.Client, location: str) -> dict[str, Any]:
    while True:
        version: dict[str, Any] = client.get(location).json()
        if version["status"] != "ingesting":
            return version
        time.sleep(POLL_SECONDS)


def api_ingest(client: httpx.Client, path: Path, name: str, pid: int) -> dict[str, float]:
    """Seconds from the upload's start to `ready` (`total`), of which the POST (`upload`), and
    the API's RSS growth in MiB during the upload (`growth`)."""
    params = {"name": name, "target": "churned"}
    started = time.perf_counter()
    with PeakRss(pid) as rss:
        response = client.post("/datasets", params=params, content=chunks(path))
    response.raise_for_status()
    uploaded = time.perf_counter()
    version = wait_ready(client, response.headers["Location"])
    if version["status"] != "ready":
        raise RuntimeError(f"ingest failed: {version['error']}")
    ended = time.perf_counter()
    return {"total": ended - started, "upload": uploaded - started, "growth": rss.growth_mb}


def floor_read(path: Path) -> float:
    started = time.perf_counter()
    pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
    return time.perf_counter() - started


def read_and_copy(path: Path, copy: Path) -> float:
    """The floor's read, then the table written as Parquet (the normalised copy's format)."""
    started = time.perf_counter()
    table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
    pq.write_table(table, copy)
    return time.perf_counter() - started


def rate(size: int, seconds: list[float]) -> dict[str, Any]:
    summary = summarize(seconds)
    summary["median_mb_per_s"] = round(size / MIB / (summary["median_ms"] / 1000), 1)
    return summary


def run(stack: Stack, config: dict, api_pid: int) -> dict[str, Any]:
    path = stack.work_dir / "ingest.csv"
    size = write_table(path, config["ingest_mb"] * MIB)
    runs: list[dict[str, float]] = []
    floor_seconds: list[float] = []
    copy_seconds: list[float] = []
    copy = stack.work_dir / "ingest-copy.parquet"
    stack.start_workers(1)
    try:
        with httpx.Client(base_url=stack.base_url, timeout=600) as client:
            for rep in range(config["ingest_reps"]):  # interleaved with the floor
                runs.append(api_ingest(client, path, f"bench-ingest-{rep}", api_pid))
                floor_seconds.append(floor_read(path))
                copy_seconds.append(read_and_copy(path, copy))
    finally:
        stack.stop_workers()
        path.unlink(missing_ok=True)
        copy.unlink(missing_ok=True)
    api, floor = rate(size, [r["total"] for r in runs]), rate(size, floor_seconds)
    growth = [r["growth"] for r in runs]
    return {
        "size_mb": round(size / MIB, 1),
        "api": api,
        "upload": rate(size, [r["upload"] for r in runs]),
        "worker": rate(size, [r["total"] - r["upload"] for r in runs]),
        "floor": floor,
        "read_and_copy": (both := rate(size, copy_seconds)),
        "api_over_floor_throughput": round(api["median_mb_per_s"] / floor["median_mb_per_s"], 3),
        "read_and_copy_over_floor_throughput": round(
            both["median_mb_per_s"] / floor["median_mb_per_s"], 3
        ),
        "api_rss_growth_mb": {"max": max(growth), "all": growth},
    }
