"""The app factory: lifespan, routers, error handlers."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from app.config import Settings, get_settings
from app.datasets.samples import load_samples
from app.errors import install_error_handlers
from app.events.live import job_watcher
from app.health import CachedHealth
from app.heap import freeze_startup_heap
from app.inference.service import open_inference
from app.metrics import install_metrics
from app.registry.cursors import load_cursor_codec
from app.registry.service import sweep_at_startup
from app.resources import ensure_indexes, open_resources
from app.routers import (
    aliases,
    batch,
    datasets,
    drift,
    endpoints,
    evaluations,
    health,
    inference,
    keys,
    registry,
    training,
    tuning,
    webhooks,
)
from app.security.body import BodySizeLimit
from app.security.deps import metrics_access
from app.security.gate import RequestGate
from app.security.guard import open_guard
from app.security.openapi import describe_security
from app.storage import INDEXES
from app.ui import datasets as ui_datasets
from app.ui import install as install_ui

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "Self-hosted ML training service and model registry. Submit a training job with "
    "`POST /train`, poll `GET /jobs/{job_id}`, then list, inspect and download models under "
    "`/api/v1/models`.\n\nWhen authentication is on, send an API key as `Authorization: Bearer "
    "<key>` or `X-API-Key: <key>` (the Authorize button). Scopes: `read` for GET routes, "
    "`train` to submit and cancel jobs and to set aliases and endpoints, `admin` to delete "
    "models and manage keys; each includes the ones before it."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict]:
        resources = await open_resources(settings)
        health_cache = CachedHealth(resources, settings.health_cache_seconds)
        guard = None
        try:
            await ensure_indexes(resources.db, INDEXES)
            guard = await open_guard(settings, resources.db)
            cursors = await load_cursor_codec(resources.db)
            await sweep_at_startup(
                resources.db, resources.gridfs, grace_seconds=settings.orphan_grace_seconds
            )
            if stored := await load_samples(resources.db):
                logger.info("stored sample datasets: %s", ", ".join(stored))
            async with (
                open_inference(resources) as serving,
                job_watcher(
                    resources.redis, settings.mongodb_db, settings.live_max_waiters
                ) as watcher,
            ):
                freeze_startup_heap()
                logger.info("TensorFleet API ready (database %s)", settings.mongodb_db)
                yield {
                    "resources": resources,
                    "guard": guard,
                    "inference": serving,
                    "health": health_cache,
                    "cursors": cursors,
                    "job_watcher": watcher,
                }
        finally:
            await health_cache.close()
            if guard is not None:
                await guard.close()
            await resources.close()

    # Swagger UI and ReDoc served from the package, not a CDN: a self-hosted service often has
    # no route to the internet.
    app = FastAPIOffline(
        title="TensorFleet", version="0.1.0", description=DESCRIPTION, lifespan=lifespan
    )
    install_error_handlers(app)
    install_metrics(app, dependencies=[Depends(metrics_access)])
    # Added last, so it runs first: a request is counted before its body is read.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        routes=dict.fromkeys(
            [("POST", "/datasets"), ("POST", ui_datasets.UPLOAD_PATH)], settings.dataset_max_bytes
        ),
    )
    app.add_middleware(RequestGate)
    app.include_router(health.router)
    app.include_router(training.router)
    app.include_router(tuning.router)
    app.include_router(registry.router)
    app.include_router(aliases.router)
    app.include_router(inference.router)
    app.include_router(endpoints.router)
    app.include_router(batch.router)
    app.include_router(evaluations.router)
    app.include_router(datasets.router)
    app.include_router(keys.router)
    app.include_router(webhooks.router)
    app.include_router(drift.router)
    install_ui(app)
    describe_security(app)
    return app
