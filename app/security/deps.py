"""Route dependencies: `dependencies=[requires_read]` on a route, or `AdminAccess` as a
parameter when the handler wants the caller. FastAPI's security classes make Swagger UI's
Authorize button offer both headers."""

import hmac
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.security.gate import CALLER, Caller, identify
from app.security.guard import ANONYMOUS, Guard, Principal, forbidden, unauthenticated
from app.security.schemas import Scope

logger = logging.getLogger(__name__)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerKey",
    bearerFormat="tf_...",
    description="An API key: `Authorization: Bearer tf_...`.",
)
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKeyHeader", description="An API key."
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
ApiKeyDep = Annotated[str | None, Depends(api_key_header)]


def get_guard(request: Request) -> Guard:
    return request.state.guard


async def get_caller(request: Request) -> Caller:
    """The caller RequestGate resolved (and counted) before the body was read."""
    caller = request.scope.get(CALLER)
    return caller if caller is not None else await identify(get_guard(request), request)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def admit(request: Request, key: str | None, scope: Scope) -> Principal:
    """The one admission rule, for a key from a header, the web UI's session cookie or its
    sign-in form: check the key, then the scope. RequestGate has already counted the request
    against the rate limits, and resolved the key it saw (header, else cookie); any other key
    (one typed into the sign-in form) is checked here."""
    guard = get_guard(request)
    if not guard.enabled:
        return ANONYMOUS
    caller = await get_caller(request)
    seen = caller.key == key
    principal = caller.principal if seen else await guard.authenticate(key)
    if principal is None:
        logger.info("401 for %s %s from %s", request.method, request.url.path, caller.identity)
        raise unauthenticated()
    if not principal.scope.includes(scope):
        raise forbidden(scope)
    if scope is not Scope.read:
        logger.info("%s %s by %s", request.method, request.url.path, principal.label)
    return principal


def authorizer(scope: Scope) -> Callable[..., Any]:
    """A dependency admitting a request whose key has `scope` (every request when auth is off).
    The scope is declared on the security schemes, so the OpenAPI document lists it as the role
    each operation needs."""

    async def authorize(
        request: Request,
        credentials: Annotated[
            HTTPAuthorizationCredentials | None, Security(bearer, scopes=[scope.value])
        ],
        api_key: Annotated[str | None, Security(api_key_header, scopes=[scope.value])],
    ) -> Principal:
        key = credentials.credentials if credentials else api_key
        return await admit(request, key, scope)

    authorize.__name__ = f"require_{scope.value}"
    return authorize


read_access = authorizer(Scope.read)
train_access = authorizer(Scope.train)
admin_access = authorizer(Scope.admin)

requires_read = Depends(read_access)
requires_train = Depends(train_access)
requires_admin = Depends(admin_access)

TrainAccess = Annotated[Principal, requires_train]
AdminAccess = Annotated[Principal, requires_admin]


async def metrics_access(request: Request, credentials: BearerDep) -> None:
    """/metrics: open, unless METRICS_TOKEN is set; then that token as a Bearer token."""
    token = get_guard(request).settings.metrics_token
    if token is None:
        return
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise unauthenticated()
