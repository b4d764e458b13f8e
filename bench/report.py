"""The run's facts, the JSON result and the markdown table (with the issue's targets)."""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.services import PROJECT


def _command(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, cwd=PROJECT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if out.returncode == 0 else "unknown"


def machine_facts() -> dict[str, Any]:
    import arq
    import fastapi
    import pymongo
    import sklearn

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _command(["git", "rev-parse", "HEAD"]),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "pymongo": pymongo.version,
        "fastapi": fastapi.__version__,
        "arq": getattr(arq, "VERSION", "unknown"),
        "redis": _command(["redis-server", "--version"]),
        "load_average_start": os.getloadavg(),
    }


def write_json(results: dict[str, Any], output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{datetime.now(UTC):%Y-%m-%d}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def train_section(train: dict[str, Any]) -> list[str]:
    header = [
        "case", "floor med", "TF med", "TF p95", "TF p99", "TF - floor (med)",
        "MLflow defaults med", "MLflow tuned med", "TF / MLflow defaults", "TF / MLflow tuned",
    ]  # fmt: skip
    rows = [
        [
            name,
            ms(c["floor"]["median_ms"]),
            ms(c["tensorfleet"]["median_ms"]),
            ms(c["tensorfleet"]["p95_ms"]),
            ms(c["tensorfleet"]["p99_ms"]),
            ms(c["overhead_ms"]["median"]),
            ms(c["mlflow_defaults"]["median_ms"]),
            ms(c["mlflow_tuned"]["median_ms"]),
            x(c["tensorfleet_over_mlflow_defaults"]),
            x(c["tensorfleet_over_mlflow_tuned"]),
        ]
        for name, c in train["cases"].items()
    ]
    reps = next(iter(train["cases"].values()))["tensorfleet"]["n"]
    title = f"### 1. Train and register, end to end (ms; {reps} runs each, poll 10 ms)"
    lines = ["", title, "", *table(header, rows)]
    return lines + (waiting_section(train["waiting"]) if "waiting" in train else [])


WAYS = {
    "long_poll": "long poll (`?wait=`)",
    "backoff_polling": "client polling before (100 ms x1.5, max 2 s)",
    "poll_10ms": "polling every 10 ms",
}


def waiting_section(waiting: dict[str, Any]) -> list[str]:
    """Figure 1b: the client's wait_for_job, long poll against polling."""
    header = ["wait_for_job by", "med", "p95", "job reads per job"]
    rows = [
        [label, ms(w["median_ms"]), ms(w["p95_ms"]), f"{w['job_reads_per_job']:.1f}"]
        for name, label in WAYS.items()
        if (w := waiting["ways"].get(name))
    ]
    case = waiting["case"]
    reps = waiting["ways"]["long_poll"]["n"]
    title = (
        f"#### 1b. Submit and wait with the client, {case['dataset_name']} "
        f"{case['algorithm']} (ms; {reps} runs each, interleaved)"
    )
    ratios = (
        f"Long poll / client polling before: {x(waiting['long_poll_over_backoff'])}; "
        f"long poll / polling every 10 ms: {x(waiting['long_poll_over_poll_10ms'])}."
    )
    return ["", title, "", *table(header, rows), "", ratios]


def throughput_section(tp: dict[str, Any]) -> list[str]:
    rows = [
        [
            f"TensorFleet, {w} worker(s)",
            f"{tp[f'workers_{w}']['succeeded']} of {tp[f'workers_{w}']['jobs']}",
            f"{tp[f'workers_{w}']['seconds']:.2f}",
            f"{tp[f'workers_{w}']['jobs_per_second']:.1f}",
            x(tp[f"workers_{w}"]["over_floor"]),
        ]
        for w in (1, 2)
    ]
    floor = tp["floor"]
    rows.append(
        ["floor (fit + dump, 1 process)", str(floor["fits"]), f"{floor['seconds']:.2f}",
         f"{floor['fits_per_second']:.1f}", "1.000"]
    )  # fmt: skip
    title = f"### 2. Throughput: {tp['jobs']} decision-tree jobs on Iris, submitted at once"
    title += f" (waiting at most {tp['cap_seconds']:.0f} s)"
    lines = ["", title, "", *table(["", "jobs done", "seconds", "per second", "x floor"], rows)]
    return lines + cpu_table(tp)


def cpu_table(tp: dict[str, Any]) -> list[str]:
    """CPU milliseconds per job of each part of the stack, when the run recorded them."""
    runs = [w for w in (1, 2) if "cpu_ms_per_job" in tp[f"workers_{w}"]]
    if not runs:
        return []
    parts = list(tp[f"workers_{runs[0]}"]["cpu_ms_per_job"])
    rows = [
        [f"{w} worker(s)", *(f"{tp[f'workers_{w}']['cpu_ms_per_job'][p]:.1f}" for p in parts)]
        for w in runs
    ]
    return ["", "CPU ms per job, by process:", "", *table(["", *parts], rows)]


def registry_section(reg: dict[str, Any]) -> list[str]:
    lines = ["", "### 3. Registry reads (ms; API over HTTP vs the same queries in PyMongo)"]
    header = ["models", "read", "API med", "API p95", "API p99", "floor med", "floor p99",
              "p99 / floor p99"]  # fmt: skip
    rows = []
    for size in reg["sizes"].values():
        for name, r in size["reads"].items():
            rows.append(
                [f"{size['models']:,}", name, ms(r["api"]["median_ms"]), ms(r["api"]["p95_ms"]),
                 ms(r["api"]["p99_ms"]), ms(r["floor"]["median_ms"]), ms(r["floor"]["p99_ms"]),
                 x(r["p99_over_floor"])]
            )  # fmt: skip
    lines += ["", *table(header, rows)]
    seeding = ", ".join(
        f"{s['inserted']:,} in {s['seconds']:.0f} s (target {s['target']:,})"
        for s in reg["seeding"]
    )
    lines += ["", f"Seeding (insert_many, batches of 1,000): {seeding}."]
    mlflow = reg["mlflow"]
    if not mlflow["available"]:
        return [*lines, "", f"MLflow: not available ({mlflow['reason']})"]
    rows = [
        [f"{mlflow['versions']:,}", name, ms(s["median_ms"]), ms(s["p95_ms"]), ms(s["p99_ms"])]
        for name, s in mlflow["reads"].items()
    ]
    lines += ["", "MLflow `search_model_versions` / `get_model_version`, in-process (no HTTP), "
              "SQLite store:", ""]  # fmt: skip
    return lines + table(["versions", "read", "med", "p95", "p99"], rows)


def download_section(dl: dict[str, Any]) -> list[str]:
    rows = [
        [label, ms(d["median_ms"]), ms(d["p95_ms"]), f"{d['median_mb_per_s']:.1f}"]
        for label, d in (("API /download", dl["api"]), ("floor: PyMongo GridFS", dl["floor"]))
    ]
    return [
        "",
        f"### 4. Download of a {dl['size_mb']} MiB model ({dl['api']['n']} runs each)",
        "",
        *table(["", "med ms", "p95 ms", "MB/s (med)"], rows),
        "",
        f"API / floor throughput: {x(dl['api_over_floor_throughput'])}; API RSS growth, max "
        f"over runs (the first, warm-up download included): "
        f"{dl['api_rss_growth_mb']['max']:.1f} MiB.",
    ]


SERVERS = ("floor", "bare", "mlflow", "tensorfleet")


def inference_rows(case: dict[str, Any]) -> list[list[str]]:
    rows = []
    for server in SERVERS:
        if server not in case:
            continue
        figures = [case[server][f"rows_{n}"] for n in (1, 100)]
        first = case[server].get("first_request_ms")
        rows.append(
            [server]
            + [f"{ms(f['p50_ms'])} / {ms(f['p99_ms'])} / {f['rps']:.0f}" for f in figures]
            + [ms(first) if first is not None else "-"]
        )
    return rows


def inference_section(inf: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"### 5. Inference ({inf['concurrency']} concurrent clients, {inf['seconds']} s each)",
    ]
    header = ["", "1 row: p50 / p99 ms / rps", "100 rows: p50 / p99 ms / rps", "first ms"]
    for name, case in (inf["cases"] | inf.get("table_cases", {})).items():
        size = case["model_bytes"] / 1024
        lines += ["", f"{name} ({size:.0f} KiB):", "", *table(header, inference_rows(case))]
    return (
        lines + moderate_lines(inf) + explain_lines(inf) + cold_start_lines(inf.get("cold_start"))
    )


def moderate_lines(inf: dict[str, Any]) -> list[str]:
    """One-row requests at a quarter of the bare endpoint's saturated rate, open loop."""
    rows = []
    for name, case in (inf["cases"] | inf.get("table_cases", {})).items():
        if "moderate" not in case.get("tensorfleet", {}):
            continue
        tf, bare = case["tensorfleet"]["moderate"], case["bare"]["moderate"]
        rows.append(
            [name, f"{tf['rate']:.0f}"]
            + [f"{ms(f['p50_ms'])} / {ms(f['p99_ms'])}" for f in (bare, tf)]
        )
    if not rows:
        return []
    header = ["", "rate (rps)", "bare p50 / p99 ms", "tensorfleet p50 / p99 ms"]
    title = "#### Moderate load: 1 row at a quarter of the bare endpoint's rps, sent on schedule"
    return ["", title, "", *table(header, rows)]


def cold_start_lines(cold: dict[str, Any] | None) -> list[str]:
    """The first request of ~1 MB models, and their stages timed one by one in process."""
    if not cold:
        return []
    header = ["", "KiB", "first requests ms", "median", "warm", "cold cost", "stages ms"]
    rows = []
    for kind in cold.values():
        timed = {k: v for k, v in kind["stages_ms"].items() if k != "store_chunks"}
        stages = ", ".join(f"{name} {ms(v)}" for name, v in timed.items())
        stages += f" ({kind['stages_ms'].get('store_chunks', '?')} chunks in the store)"
        firsts = ", ".join(ms(v) for v in kind["first_request_ms"])
        rows.append(
            [kind["description"], f"{kind['model_bytes'] / 1024:.0f}", firsts]
            + [ms(kind[k]) for k in ("median_ms", "warm_fresh_connection_ms", "cold_cost_ms")]
            + [stages]
        )
    return ["", "#### Cold first request of a ~1 MB model", "", *table(header, rows)]


def explain_lines(inf: dict[str, Any]) -> list[str]:
    """Predict with `explain`: the p50 added per row over the plain request, and the floor."""
    header = ["", "rows", "p50 ms", "added ms/row", "floor p50 ms"]
    rows = []
    for name, case in inf["cases"].items():
        if "explain" not in case:
            continue
        for n in (1, 100):
            figures, floor = case["explain"][f"rows_{n}"], case["explain"][f"floor_rows_{n}"]
            added = f"{figures['added_ms_per_row']:.3f}"
            rows.append([name, str(n), ms(figures["p50_ms"]), added, ms(floor["p50_ms"])])
    if not rows:
        return []
    return ["", '#### Predict with `"explain": true`', "", *table(header, rows)]


def inference_targets(inf: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    case = inf["cases"]["logistic_regression"]
    tf, bare = case["tensorfleet"]["rows_1"], case["bare"]["rows_1"]
    gap = tf["p50_ms"] - bare["p50_ms"]
    out = [
        ("1-row LR: p50 within 1.5 ms of bare", f"+{gap:.2f} ms", gap <= 1.5),
    ]
    if moderate := case["tensorfleet"].get("moderate"):
        label = f"1-row LR: p99 < 5 ms at moderate load ({moderate['rate']:.0f} rps)"
        out.append((label, f"{ms(moderate['p99_ms'])} ms", moderate["p99_ms"] < 5))
    label = f"1-row LR: p99 < 5 ms at {inf['concurrency']} clients (saturated)"
    out.append((label, f"{ms(tf['p99_ms'])} ms", tf["p99_ms"] < 5))
    if mlflow := case.get("mlflow"):
        peer = mlflow["rows_1"]
        over = tf["rps"] / peer["rps"] if peer["rps"] else None
        met = over is not None and over >= 2 and tf["p99_ms"] <= peer["p99_ms"]
        out.append(("1-row LR: ≥ 2x MLflow rps at ≤ its p99", f"{x(over)}x", met))
    for name, c in (inf["cases"] | inf.get("table_cases", {})).items():
        first = c["tensorfleet"]["first_request_ms"]
        label = f"cold first request < 100 ms: {name} ({c['model_bytes'] / 1024:.0f} KiB)"
        out.append((label, f"{ms(first)} ms", first < 100))
    return out + table_and_cold_targets(inf)


def table_and_cold_targets(inf: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    out = []
    for kind in inf.get("cold_start", {}).values():
        label = f"cold first request < 100 ms: 1 MB {kind['description']}"
        out.append((label, f"median {ms(kind['median_ms'])} ms", kind["median_ms"] < 100))
    if table_lr := inf.get("table_cases", {}).get("table_logistic_regression"):
        tf, bare = table_lr["tensorfleet"]["rows_1"], table_lr["bare"]["rows_1"]
        gap = tf["p50_ms"] - bare["p50_ms"]
        label = "1-row LR on the table: p50 within 1.5 ms of bare"
        out.append((label, f"+{gap:.2f} ms", gap <= 1.5))
    return out


def ingest_section(ing: dict[str, Any]) -> list[str]:
    parts = [
        ("upload to ready (POST /datasets, worker ingest)", "api"),
        ("of which the upload (POST /datasets, into GridFS)", "upload"),
        ("of which the worker (download, parse, profile, store; polls)", "worker"),
        ("floor: pyarrow.csv.read_csv, one process", "floor"),
        ("reference: that read, then the table written as Parquet", "read_and_copy"),
    ]
    rows = [
        [label, ms(ing[key]["median_ms"]), f"{ing[key]['median_mb_per_s']:.1f}"]
        for label, key in parts
        if key in ing  # results from before the split have no upload/worker parts
    ]
    return [
        "",
        f"### 6. Ingest of a {ing['size_mb']} MiB CSV ({ing['api']['n']} runs each)",
        "",
        *table(["", "med ms", "MB/s (med)"], rows),
        "",
        f"Ingest / floor throughput: {x(ing['api_over_floor_throughput'])}; API RSS growth "
        f"during the upload, max over runs: {ing['api_rss_growth_mb']['max']:.1f} MiB.",
        *(
            [
                f"The read and the Parquet copy alone, with no store, profile or check: "
                f"{x(ing['read_and_copy_over_floor_throughput'])} of the floor's throughput, "
                "the most an ingest that writes a Parquet copy can reach on this machine."
            ]
            if "read_and_copy" in ing
            else []
        ),
    ]


def download_targets(dl: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    share, growth = dl["api_over_floor_throughput"], dl["api_rss_growth_mb"]["max"]
    return [
        ("download ≥ 70% of floor", f"{share:.0%}", share >= 0.7),
        ("download RSS growth < 32 MB", f"{growth:.1f} MiB", growth < 32),
    ]


def ingest_targets(ing: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    share, growth = ing["api_over_floor_throughput"], ing["api_rss_growth_mb"]["max"]
    return [
        ("ingest ≥ 50% of pyarrow read", f"{share:.0%}", share >= 0.5),
        ("upload RSS growth < 32 MB", f"{growth:.1f} MiB", growth < 32),
    ]


def tuning_section(tun: dict[str, Any]) -> list[str]:
    header = ["", "wall s", "s per trial", "trial median s", "best CV accuracy", "hold-out"]
    rows = [
        [
            label,
            f"{r['wall_seconds']:.2f}",
            f"{r['seconds_per_trial']:.3f}",
            f"{r['trial_median_seconds']:.3f}",
            f"{r['best_score']:.4f}",
            "n/a" if r.get("holdout_score") is None else f"{r['holdout_score']:.4f}",
        ]
        for label, r in (
            ("Optuna in one process (floor)", tun["floor"]),
            ("TensorFleet, 1 worker", tun["workers_1"]),
            ("TensorFleet, 2 workers", tun["workers_2"]),
        )
    ]
    refits = ", ".join(f"{tun[f'workers_{n}']['refit_seconds']:.2f} s" for n in (1, 2))
    one = tun["workers_1"]
    return [
        "",
        f"### 7. Tuning: {tun['trials']} random-search trials of a random forest on Wine "
        "(3-fold CV, the same space and seed; one fit at a time per worker)",
        "",
        *table(header, rows),
        "",
        f"Per-trial overhead over the floor: {ms(tun['overhead_ms_per_trial'])} ms; measured "
        f"inside the one-worker run (from a trial's start to the next one's, beyond its "
        f"cross-validation): {ms(tun['overhead_ms_per_trial_in_run'])} ms median, in parts "
        f"(medians): its start {ms(one['start_ms_median'])} ms, the job beyond the fit process "
        f"{ms(one['in_job_overhead_ms_median'])} ms, the gap to the next trial "
        f"{ms(one['gap_ms_median'])} ms; speed-up "
        f"from 1 to 2 workers: {x(tun['speedup_2_over_1'])}x. After the last trial, the refit "
        f"and registration of the best took {refits}.",
    ]


def tuning_targets(tun: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    over, speedup = tun["overhead_ms_per_trial"], tun["speedup_2_over_1"]
    in_run = tun["overhead_ms_per_trial_in_run"]
    return [
        ("tuning: per-trial overhead < 50 ms", f"{ms(over)} ms", over < 50),
        (
            "tuning: per-trial overhead < 50 ms (in the run)",
            f"{ms(in_run)} ms",
            None if in_run is None else in_run < 50,
        ),
        ("tuning: 2 workers ≥ 1.7x 1 worker", f"{x(speedup)}x", speedup >= 1.7),
    ]


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "**missed**")


def train_targets(train: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    out: list[tuple[str, str, bool | None]] = []
    for name, c in train["cases"].items():
        over = c["overhead_ms"]["median"]
        met = over is not None and over < 30
        out.append((f"overhead < 30 ms: {name}", f"{ms(over)} ms", met))
        for variant, limit in (("defaults", 0.05), ("tuned", 0.5)):
            value = c[f"tensorfleet_over_mlflow_{variant}"]
            met = None if value is None else value <= limit
            out.append((f"TF/MLflow {variant} ≤ {limit}: {name}", x(value), met))
    if waiting := train.get("waiting"):
        value = waiting["long_poll_over_backoff"]
        met = None if value is None else value < 1
        out.append(("wait_for_job: long poll / polling before < 1", x(value), met))
    return out


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each of the issue's targets present in the results."""
    out: list[tuple[str, str, bool | None]] = []
    if train := results.get("train"):
        out += train_targets(train)
    if tp := results.get("throughput"):
        rate = tp["workers_2"]["jobs_per_second"]
        out.append(("2 workers ≥ 50 jobs/s", f"{rate:.1f}/s", rate >= 50))
    if reg := results.get("registry"):
        for size in reg["sizes"].values():
            for name, r in size["reads"].items():
                p99, over = r["api"]["p99_ms"], r["p99_over_floor"]
                met = p99 < 15 and over is not None and over <= 3
                label = f"{size['models']:,} models, {name}: p99 < 15 ms and ≤ 3x floor"
                out.append((label, f"{ms(p99)} ms, {x(over)}x", met))
    sections = (
        ("download", download_targets),
        ("inference", inference_targets),
        ("ingest", ingest_targets),
        ("tuning", tuning_targets),
    )
    for key, section_targets in sections:
        if key in results:
            out += section_targets(results[key])
    return out


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"## TensorFleet benchmarks, {meta['date']}" + (" (--quick)" if results["quick"] else ""),
        "",
        f"Commit `{meta['commit']}`; {meta['cpu_count']} CPUs; {meta['platform']}; Python "
        f"{meta['python']}; scikit-learn {meta['scikit-learn']}; PyMongo {meta['pymongo']}; "
        f"store: {meta.get('store', 'unknown')}; {meta['redis']}; "
        f"MLflow: {mlflow_line(results['mlflow'])}.",
        f"Load average at start {fmt_load(meta['load_average_start'])}, at end "
        f"{fmt_load(meta.get('load_average_end'))} (other work shares this machine). "
        f"Worker settings: {results['worker_settings']}.",
    ]
    sections = {
        "train": train_section,
        "throughput": throughput_section,
        "registry": registry_section,
        "download": download_section,
        "inference": inference_section,
        "ingest": ingest_section,
        "tuning": tuning_section,
    }
    for key, render in sections.items():
        if key in results:
            lines += render(results[key])
    for note in results.get("notes", []):
        lines += ["", f"Note: {note}"]
    for section, error in results.get("errors", {}).items():
        lines += ["", f"**Section {section} failed:** {error}"]
    rows = [[name, value, verdict(met)] for name, value, met in targets(results)]
    lines += ["", "### Targets", "", *table(["target", "measured", ""], rows)]
    return "\n".join(lines) + "\n"


def mlflow_line(status: dict[str, Any]) -> str:
    if status["available"]:
        return f"{status['versions']['mlflow']} (own venv)"
    return f"not available ({status['reason']})"


def fmt_load(load: Any) -> str:
    return "n/a" if not load else "/".join(f"{v:.2f}" for v in load)
