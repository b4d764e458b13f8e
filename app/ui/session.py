"""Signing in to the UI: an API key becomes an HttpOnly session cookie.

The cookie holds the key itself and every request checks it again through the same
admission rule as the JSON API (app.security.deps.admit): a revoked key signs its sessions out
at once, rate limits count UI and API requests alike, and there is no second session store to
keep in step. HttpOnly keeps it from scripts, SameSite=Lax from other sites' requests, Secure
behind TLS. With auth off there is nothing to sign in to.
"""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from app.security.deps import admit
from app.security.gate import SESSION_COOKIE
from app.security.guard import Principal
from app.security.schemas import Scope
from app.ui import csrf
from app.ui.errors import error_page
from app.ui.rendering import render

COOKIE = SESSION_COOKIE
HOME = "/ui"
router = APIRouter(prefix="/ui", include_in_schema=False)


class UIRefusal(Exception):
    """A UI request refused: shown as a page, or as a redirect to sign-in."""

    def __init__(self, status_code: int, message: str) -> None:
        self.status_code = status_code
        self.message = message
        super().__init__(message)


async def refusal_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UIRefusal)
    signed_out = exc.status_code == status.HTTP_401_UNAUTHORIZED and request.method == "GET"
    if signed_out and request.headers.get("x-requested-with") != "fetch":
        target = f"{HOME}/sign-in?next={quote(request.url.path)}"
        return RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    return error_page(request, exc.status_code, exc.message)


async def authorize(request: Request, scope: Scope) -> Principal:
    """The session's principal if its key has `scope`; a UIRefusal otherwise. Rate limits
    (RATE_LIMIT_TRAIN too, for POST /ui/train) were counted by RequestGate."""
    try:
        return await admit(request, request.cookies.get(COOKIE), scope)
    except HTTPException as exc:
        raise UIRefusal(exc.status_code, str(exc.detail)) from None


async def viewer(request: Request) -> Principal:
    return await authorize(request, Scope.read)


async def checked_form(request: Request) -> FormData:
    """The form of a POST whose CSRF token matches its cookie; a 403 page otherwise."""
    form = await request.form()
    if not csrf.matches(request, form):
        raise UIRefusal(
            status.HTTP_403_FORBIDDEN,
            "this form is stale or came from another site (CSRF check failed); reload and retry",
        )
    return form


Viewer = Annotated[Principal, Depends(viewer)]
CheckedForm = Annotated[FormData, Depends(checked_form)]


def local_path(target: str | None) -> str:
    """Where to go after signing in: a UI path only, never another site."""
    if target and target.startswith(HOME) and not target.startswith("//"):
        return target
    return HOME


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    if not request.state.guard.enabled:
        return RedirectResponse(HOME, status.HTTP_303_SEE_OTHER)
    return render(request, "sign_in.html", {"next": local_path(next)}, principal=None)


@router.post("/sign-in")
async def sign_in(request: Request, form: CheckedForm) -> Response:
    key = str(form.get("api_key", "")).strip()
    try:
        await admit(request, key, Scope.read)
    except HTTPException as exc:
        message = "That key is not valid: it is unknown, revoked or mistyped."
        if exc.status_code != status.HTTP_401_UNAUTHORIZED:
            message = str(exc.detail)
        context = {"next": local_path(str(form.get("next", ""))), "error": message}
        return render(request, "sign_in.html", context, principal=None, status_code=exc.status_code)
    response = RedirectResponse(local_path(str(form.get("next", ""))), status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE, key, httponly=True, samesite="lax", secure=csrf.is_secure(request), path=HOME
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request, form: CheckedForm) -> Response:
    response = RedirectResponse(f"{HOME}/sign-in", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path=HOME)
    return response
