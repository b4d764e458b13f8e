"""Who is calling, and the rate limits, settled before a request's body is read.

FastAPI parses a body before it runs a route's dependencies, so a limit counted in a dependency
never sees a request whose JSON fails to parse (422) or whose body is refused: a client could
send malformed bodies without limit. This ASGI middleware runs first: it resolves the caller
from the headers (a stored key, the bootstrap key, or the client address), counts the request
against RATE_LIMIT (and RATE_LIMIT_TRAIN for POST /train), answers 429 itself when a limit is
exceeded and 401 to a JSON API request that may carry a body when auth is on and no valid key
came, and leaves the caller in the scope for the route's check (app/security/deps.py).

The open paths (/health, /metrics, the docs) are not counted: probes and scrapers poll them.
"""

import logging
from dataclasses import dataclass

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import MONGODB_DOWN, response_for
from app.security.guard import ANONYMOUS, Guard, Principal, too_many, unauthenticated

logger = logging.getLogger(__name__)

CALLER = "tensorfleet.caller"
SESSION_COOKIE = "tf_session"  # the web UI's session: the API key itself (app/ui/session.py)
OPEN_PATHS = (
    "/health",
    "/metrics",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/static-offline-docs",
    "/ui/static",
    "/favicon.ico",
)
SUBMISSION_PATHS = ("/train", "/ui/train")  # counted against RATE_LIMIT_TRAIN too
UI_PREFIX = "/ui"  # pages answer a refused key themselves, with a page or the sign-in form
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True, slots=True)
class Caller:
    """The request's principal (None: a key was required and not valid) and the identity its
    rate limits and job quota are counted under: `key:<id>`, or `ip:<address>` when auth is off
    or the key is not valid."""

    principal: Principal | None
    identity: str
    key: str | None = None  # the key it was resolved from (header, else session cookie)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def presented_key(request: Request) -> str | None:
    """The key as FastAPI's security schemes read it (Bearer, else X-API-Key), else the UI's
    session cookie."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials
    return request.headers.get("x-api-key") or request.cookies.get(SESSION_COOKIE)


async def identify(guard: Guard, request: Request) -> Caller:
    address = f"ip:{client_address(request)}"
    if not guard.enabled:
        return Caller(ANONYMOUS, address)
    key = presented_key(request)
    principal = await guard.authenticate(key)
    if principal is None:
        return Caller(None, address, key)
    return Caller(principal, f"key:{principal.key_id}", key)


def _responded(response: Response | None, exc: Exception) -> Response:
    if response is None:
        raise exc
    return response


def error_response(error: HTTPException) -> JSONResponse:
    return JSONResponse({"detail": error.detail}, error.status_code, headers=error.headers)


def carries_api_body(request: Request) -> bool:
    """A request to the JSON API that may carry a body: every such route needs a key. Others
    (GET, and the UI's own pages and sign-in form) reach their routes, which answer 401, 404 or
    a sign-in page as they should."""
    return request.method in BODY_METHODS and not is_under(request.url.path, UI_PREFIX)


def is_under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(f"{prefix}/")


def is_open(path: str) -> bool:
    return any(is_under(path, prefix) for prefix in OPEN_PATHS)


class RequestGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guard = scope.get("state", {}).get("guard")
        if scope["type"] != "http" or guard is None or is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            caller = await identify(guard, request)
        except MONGODB_DOWN as exc:  # outside the app's exception handlers: answer here
            await _responded(response_for(request, exc), exc)(scope, receive, send)
            return
        submission = request.method == "POST" and scope["path"].rstrip("/") in SUBMISSION_PATHS
        retry_after = await guard.limits.retry_after(caller.identity, train=submission)
        if retry_after is not None:
            await error_response(too_many(retry_after))(scope, receive, send)
            return
        if caller.principal is None and carries_api_body(request):
            # auth on, no valid key: refused before the body is read
            logger.info("401 for %s %s from %s", request.method, scope["path"], caller.identity)
            await error_response(unauthenticated())(scope, receive, send)
            return
        scope[CALLER] = caller
        await self.app(scope, receive, send)
