"""The arq job that evaluates a model on a dataset version, judges the thresholds, promotes
on a pass, and tells the webhooks.

At-least-once like every job: an evaluation that ended is left alone, the metrics are a pure
function of the stored model and data (a second run measures the same), a promotion points the
alias at the same version again (a no-op), and only the first ending is written; the event is
sent by the writer of that ending.
"""

import asyncio
import logging
from typing import Any

from app.evaluation import store
from app.evaluation.run import evaluate_normalised
from app.evaluation.thresholds import judge
from app.events import emit_event
from app.inference.columns import model_input
from app.inference.loading import read_model_file
from app.registry.aliases import set_alias
from app.registry.exceptions import ModelNotFound
from app.registry.service import get_model
from app.storage import CHUNKS
from workers.context import WorkerContext, job_attempt, worker_context
from workers.training import load_dataset

logger = logging.getLogger(__name__)


async def measure(worker: WorkerContext, evaluation: dict[str, Any], model: dict) -> dict:
    """The metrics, computed in a fit process (killed at JOB_TIMEOUT_SECONDS)."""
    db = worker.resources.db
    version, payload = await load_dataset(
        worker, evaluation["dataset_name"], evaluation["dataset_version"]
    )
    resources = worker.resources
    model_file = (
        await read_model_file(resources.gridfs, resources.db[CHUNKS], model),
        model["sha256"],
    )
    await store.advance(db, evaluation["_id"], {"progress": store.progress("evaluating")})
    columns, target = model_input(model).names, version["target_column"]
    args = ((*model_file, str(model["_id"])), payload, columns, target, evaluation["task"])
    async with asyncio.timeout(worker.settings.job_timeout_seconds):
        metrics: dict[str, Any] = await worker.pool.run(evaluate_normalised, *args)
    return metrics


async def promote(worker: WorkerContext, evaluation: dict[str, Any], model: dict) -> dict | None:
    """Point the requested alias at the evaluated version (only called on a pass)."""
    alias = evaluation.get("promote")
    if not alias:
        return None
    owner = evaluation.get("owner") or ""
    by = owner.removeprefix("key:") if owner.startswith("key:") else None
    resources = worker.resources  # the move emits alias.changed, as every alias write does
    change = await set_alias(resources.db, redis=resources.redis, model=model, alias=alias, by=by)
    return {"alias": alias, "from_version": change["from_version"], "to_version": model["version"]}


async def run_evaluation(worker: WorkerContext, evaluation: dict[str, Any]) -> dict | None:
    """Measure, judge, promote, end; the ended document, or None when it had ended already."""
    db = worker.resources.db
    try:
        model = await get_model(db, model_id=evaluation["model_id"])
        metrics = await measure(worker, evaluation, model)
    except TimeoutError:
        limit = worker.settings.job_timeout_seconds
        return await store.mark_failed(db, evaluation["_id"], "JobTimeout", f"over {limit}s")
    except ModelNotFound as exc:
        return await store.mark_failed(db, evaluation["_id"], "ModelNotFound", str(exc))
    except Exception as exc:
        logger.info("evaluation %s failed: %s: %s", evaluation["_id"], type(exc).__name__, exc)
        return await store.mark_failed(db, evaluation["_id"], type(exc).__name__, str(exc))
    passed, reasons = judge(metrics, evaluation["thresholds"])
    promoted = await promote(worker, evaluation, model) if passed else None
    result = {"metrics": metrics, "passed": passed, "reasons": reasons, "promoted": promoted}
    return await store.mark_succeeded(db, evaluation["_id"], result)


def event_data(evaluation: dict[str, Any]) -> dict[str, Any]:
    """The `evaluation.completed` payload (docs/events.md, docs/evaluation.md)."""
    metrics = evaluation.get("metrics") or {}
    headline = {k: metrics.get(k) for k in ("accuracy", "f1_macro", "roc_auc", "r2", "rmse")}
    return {
        "evaluation_id": evaluation["_id"],
        "status": evaluation["status"],
        "model_id": evaluation["model_id"],
        "model_name": evaluation["model_name"],
        "model_version": evaluation["model_version"],
        "dataset_name": evaluation["dataset_name"],
        "dataset_version": evaluation["dataset_version"],
        "passed": evaluation.get("passed"),
        "reasons": evaluation.get("reasons", []),
        "promoted": evaluation.get("promoted"),
        "metrics": {k: v for k, v in headline.items() if v is not None},
        "error": evaluation.get("error"),
        "finished_at": evaluation["finished_at"].isoformat(),
    }


async def start(worker: WorkerContext, evaluation_id: str, attempt: int) -> dict | None:
    """The evaluation marked running, or None when there is nothing to run (gone, ended, or
    out of attempts: then it ends failed, WorkerLost)."""
    db = worker.resources.db
    evaluation = await store.get_evaluation(db, evaluation_id)
    if evaluation is None or evaluation["status"] not in store.ACTIVE:
        return None
    if attempt > worker.settings.job_max_tries:
        message = f"the worker stopped during each of {attempt - 1} attempts"
        ended = await store.mark_failed(db, evaluation_id, "WorkerLost", message)
        if ended is not None:
            await emit_event(worker.resources.redis, db, "evaluation.completed", event_data(ended))
        return None
    return await store.mark_running(db, evaluation_id, attempt)


async def evaluate_model(ctx: dict[str, Any], evaluation_id: str) -> str:
    """arq entry point: run the evaluation; its outcome's name."""
    worker = worker_context(ctx)
    evaluation = await start(worker, evaluation_id, job_attempt(ctx))
    if evaluation is None:
        return "skipped"
    ended = await run_evaluation(worker, evaluation)
    if ended is None:
        return "skipped"
    db, redis = worker.resources.db, worker.resources.redis
    await emit_event(redis, db, "evaluation.completed", event_data(ended))
    return str(ended["status"])
