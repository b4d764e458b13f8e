"""Maps the training domain's errors to HTTP responses."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.training.exceptions import (
    InvalidTrainingRequest,
    JobAlreadyEnded,
    JobAlreadyExists,
    JobNotFound,
    QueueUnavailable,
)


async def invalid_request(request: Request, exc: InvalidTrainingRequest) -> JSONResponse:
    # The same shape as FastAPI's own validation errors, so clients parse one format.
    detail = [{"type": "value_error", "loc": list(exc.location), "msg": exc.message}]
    return JSONResponse(status_code=422, content={"detail": detail})


async def job_exists(request: Request, exc: JobAlreadyExists) -> JSONResponse:
    location = f"/jobs/{exc.job_id}"
    return JSONResponse(
        status_code=409,
        headers={"Location": location},
        content={"detail": f"{exc}; see {location}", "location": location},
    )


async def job_not_found(request: Request, exc: JobNotFound) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


async def job_ended(request: Request, exc: JobAlreadyEnded) -> JSONResponse:
    return JSONResponse(status_code=409, content={"detail": str(exc), "status": exc.status})


async def queue_unavailable(request: Request, exc: QueueUnavailable) -> JSONResponse:
    return JSONResponse(
        status_code=503,
        headers={"Retry-After": "5"},
        content={"detail": "the job queue is unavailable; nothing was queued"},
    )


def install_training_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InvalidTrainingRequest, invalid_request)
    app.add_exception_handler(JobAlreadyExists, job_exists)
    app.add_exception_handler(JobNotFound, job_not_found)
    app.add_exception_handler(JobAlreadyEnded, job_ended)
    app.add_exception_handler(QueueUnavailable, queue_unavailable)
