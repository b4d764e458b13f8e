"""CSRF protection for the UI's forms: a double-submit token bound to the session.

A random secret lives in an HttpOnly, SameSite=Strict cookie; every form's hidden field holds
an HMAC of the session cookie keyed by that secret, and a POST is accepted only when the field
is that HMAC. Another site can make the browser send the cookies (not even that, with
SameSite=Strict) but cannot read them to fill the field. Binding the field to the session
also defeats a planted secret: whoever can set a cookie for this host (a sibling subdomain,
plain HTTP) knows the secret they planted, but not the session it will be paired with, so
the token of their own page (no session, or their own) is refused in the victim's session.
"""

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from app.security.gate import SESSION_COOKIE

COOKIE = "tf_csrf"
FIELD = "csrf_token"
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


def is_secure(request: Request) -> bool:
    """Behind TLS, directly or at a proxy that says so: then cookies get the Secure flag."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return request.url.scheme == "https" or forwarded == "https"


def secret(request: Request) -> str:
    """The cookie's secret, or a new one (which `remember` then sets)."""
    existing = request.cookies.get(COOKIE, "")
    return existing if len(existing) == TOKEN_LENGTH else secrets.token_urlsafe(32)


def form_token(request: Request, kept: str) -> str:
    """What the forms of this session carry for the secret `kept`."""
    session = request.cookies.get(SESSION_COOKIE, "")
    return hmac.new(kept.encode(), session.encode(), hashlib.sha256).hexdigest()


def remember(request: Request, response: Response, value: str) -> None:
    if request.cookies.get(COOKIE) != value:
        response.set_cookie(
            COOKIE, value, httponly=True, samesite="strict", secure=is_secure(request), path="/ui"
        )


def sent_token_matches(request: Request, sent: object) -> bool:
    """Whether `sent` (a form field, or the upload script's header) is this session's token."""
    kept = request.cookies.get(COOKIE, "")
    if not isinstance(sent, str) or len(kept) != TOKEN_LENGTH:
        return False
    return hmac.compare_digest(sent.encode(), form_token(request, kept).encode())


def matches(request: Request, form: FormData) -> bool:
    return sent_token_matches(request, form.get(FIELD))
