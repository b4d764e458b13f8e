"""Exception handlers: a store that is down is a clean 503, never a 500 with a traceback."""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pymongo.errors import AutoReconnect, ConnectionFailure, ExecutionTimeout, NetworkTimeout
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

MONGODB_DOWN = (ConnectionFailure, AutoReconnect, NetworkTimeout, ExecutionTimeout)


def _unavailable(dependency: str):
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        logger.warning(
            "%s unavailable during %s %s: %s",
            dependency,
            request.method,
            request.url.path,
            str(exc).splitlines()[0] if str(exc) else repr(exc),
        )
        return JSONResponse(
            status_code=503,
            content={"detail": f"{dependency} is unavailable; retry shortly"},
            headers={"Retry-After": "5"},
        )

    return handler


def install_error_handlers(app: FastAPI) -> None:
    for exc_type in MONGODB_DOWN:
        app.add_exception_handler(exc_type, _unavailable("MongoDB"))
    for exc_type in (RedisConnectionError, RedisTimeoutError):
        app.add_exception_handler(exc_type, _unavailable("Redis"))
