"""The web UI's models page at 1,000 models: `python -m bench.ui` (or `--quick`).

The target (issue 17) is a server-side render under 100 ms on this machine. The page is timed
over HTTP on loopback, so the figure includes the request, the registry query and the
template; the floor is the JSON listing of the same page (GET /api/v1/models, same filter,
sort and size), so `ui_over_json` is what the HTML costs beyond the query. Both the first page
and a deep page (by cursor, as the UI's "Next page" link does) are measured, and the
template alone (`render_only`: one page rendered in process, no store), which is the part the
UI adds; on FerretDB v1.24 the query underneath dominates (it uses no index).
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from bson import ObjectId
from pymongo import MongoClient
from starlette.requests import Request

from app.config import Settings
from app.main import create_app
from app.security.guard import ANONYMOUS
from app.ui.rendering import render
from bench.registry import create_indexes, model_document, seed, timed
from bench.report import machine_facts
from bench.stack import Stack
from bench.stats import ratio, summarize
from tensorfleet.schemas.registry import ModelList, ModelRead

TARGET_MS = 100.0
PAGE = 50  # the UI's page size (app/ui/models.py PAGE_SIZE)
RESULTS = Path(__file__).resolve().parent / "results"


def cursor_at(client: httpx.Client, depth: int) -> str:
    """The `after` cursor `depth` models into the list, by following next_cursor."""
    after = None
    for _ in range(depth // 100):
        params: dict[str, Any] = {"limit": 100} | ({"after": after} if after else {})
        after = client.get("/api/v1/models", params=params).raise_for_status().json()["next_cursor"]
    assert after, "the list is shorter than the depth asked for"
    return after


def measure(client: httpx.Client, reps: int, after: str) -> dict[str, Any]:
    def get(path: str, **params: Any) -> Any:
        return lambda: client.get(path, params=params).raise_for_status()

    calls = {
        "ui_first_page": get("/ui/models"),
        "json_first_page": get("/api/v1/models", limit=PAGE),
        "ui_deep_page": get("/ui/models", after=after),
        "json_deep_page": get("/api/v1/models", limit=PAGE, after=after),
    }
    results: dict[str, Any] = {
        name: summarize(timed(call, reps, budget=60)) for name, call in calls.items()
    }
    for where in ("first_page", "deep_page"):
        results[f"{where}_ui_over_json"] = ratio(
            results[f"ui_{where}"]["median_ms"], results[f"json_{where}"]["median_ms"]
        )
    return results


def render_seconds(reps: int, rows: int = PAGE) -> list[float]:
    """The template alone: `rows` models rendered in this process, no store involved."""
    application = create_app(Settings(_env_file=None))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/ui/models",
        "query_string": b"",
        "headers": [],
        "app": application,
        "router": application.router,
        "state": {"guard": SimpleNamespace(enabled=False)},
    }
    items = [ModelRead.from_document(model_document(i) | {"_id": ObjectId()}) for i in range(rows)]
    listing = ModelList(items=items, total=1000, page=1, limit=rows, pages=1, next_cursor="x")
    context = {"listing": listing, "filters": {"name": "", "algorithm": "", "dataset_name": ""}}
    context |= {"sort": "created_at", "order": "desc", "sorts": ["created_at"], "paged": False}

    def once() -> None:
        render(Request(scope), "models.html", context, principal=ANONYMOUS)

    return timed(once, reps, budget=30)


def run(models: int, reps: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as work, Stack(Path(work)) as stack:
        stack.start_api()
        asyncio.run(create_indexes(stack.mongodb_url, stack.database))
        mongo: MongoClient[dict[str, Any]]
        with MongoClient(stack.mongodb_url, tz_aware=True) as mongo:
            inserted, _ = seed(mongo[stack.database]["models"], 0, models, time.monotonic() + 300)
        with httpx.Client(base_url=stack.base_url, timeout=60) as client:
            results = measure(client, reps, cursor_at(client, int(models * 0.9)))
    results["render_only"] = summarize(render_seconds(reps))
    results["render_1000_rows"] = summarize(render_seconds(max(5, reps // 10), rows=1000))
    median = results["ui_first_page"]["median_ms"]
    return results | {"models": inserted, "target_ms": TARGET_MS, "met": median < TARGET_MS}


def report(results: dict[str, Any]) -> str:
    lines = [f"UI models page, {results['models']} models, {PAGE} per page (median / p95 ms):"]
    for name in ("ui_first_page", "json_first_page", "ui_deep_page", "json_deep_page"):
        lines.append(
            f"  {name:16} {results[name]['median_ms']:8.1f} / {results[name]['p95_ms']:.1f}"
        )
    for name in ("render_only", "render_1000_rows"):
        render = results[name]
        lines.append(f"  {name:16} {render['median_ms']:8.1f} / {render['p95_ms']:.1f}")
    lines.append(
        f"  UI over JSON: first page {results['first_page_ui_over_json']}x, deep page "
        f"{results['deep_page_ui_over_json']}x; target < {TARGET_MS:.0f} ms: "
        f"{'met' if results['met'] else 'NOT met'}"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ui", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="200 models, 5 reps: checks the harness"
    )
    args = parser.parse_args(argv)
    results = run(200, 5) if args.quick else run(1000, 200)
    results |= {"quick": args.quick, "meta": machine_facts()}
    print(report(results))
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S")
        (RESULTS / f"ui-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
