"""A model's drift report over HTTP: computed on request from its reference and live sample.

HTTP only: the model (or endpoint) is found, 404 otherwise, and app.drift.service computes the
report (for an endpoint, one per version it routes to).
"""

from fastapi import APIRouter
from fastapi import status as http

from app.dependencies import DatabaseDep, RedisDep, SettingsDep
from app.drift import service as drift_service
from app.drift.service import drift_report
from app.endpoints import store as endpoints_store
from app.routers.endpoints import EndpointName
from app.routers.model_refs import ModelDep
from app.security.deps import requires_read
from tensorfleet.schemas.drift import DriftReport, EndpointDrift

router = APIRouter(prefix="/api/v1", tags=["drift"])


@router.get(
    "/models/{model_id}/drift",
    response_model=DriftReport,
    status_code=http.HTTP_200_OK,
    responses={404: {"description": "No model with this id (or a malformed id)."}},
    dependencies=[requires_read],
)
async def model_drift(
    model: ModelDep,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
) -> DriftReport:
    """Each input column's and the predictions' drift: the live sample against the reference
    profile taken at training (PSI, KS or chi-squared, drifted flags; docs/drift.md)."""
    return DriftReport.model_validate(await drift_report(db, redis, settings, model))


@router.get(
    "/endpoints/{endpoint}/drift",
    response_model=EndpointDrift,
    status_code=http.HTTP_200_OK,
    responses={404: {"description": "No endpoint of this name."}},
    dependencies=[requires_read],
)
async def endpoint_drift(
    endpoint: EndpointName, db: DatabaseDep, redis: RedisDep, settings: SettingsDep
) -> EndpointDrift:
    """The drift report of each version the endpoint routes to (and of its shadow)."""
    document = await endpoints_store.get_endpoint(db, name=endpoint)
    versions = await drift_service.endpoint_drift(db, redis, settings, document)
    return EndpointDrift(name=endpoint, model=document["model"], versions=versions)
