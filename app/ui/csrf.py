"""CSRF protection for the UI's forms: a double-submit token.

A random token lives in an HttpOnly, SameSite=Strict cookie and in a hidden field of every
form; a POST is accepted only when the two match. Another site can make the browser send the
cookie (not even that, with SameSite=Strict) but cannot read it to fill the field.
"""

import hmac
import secrets

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

COOKIE = "tf_csrf"
FIELD = "csrf_token"
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


def is_secure(request: Request) -> bool:
    """Behind TLS, directly or at a proxy that says so: then cookies get the Secure flag."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return request.url.scheme == "https" or forwarded == "https"


def token(request: Request) -> str:
    existing = request.cookies.get(COOKIE, "")
    return existing if len(existing) == TOKEN_LENGTH else secrets.token_urlsafe(32)


def remember(request: Request, response: Response, value: str) -> None:
    if request.cookies.get(COOKIE) != value:
        response.set_cookie(
            COOKIE, value, httponly=True, samesite="strict", secure=is_secure(request), path="/ui"
        )


def matches(request: Request, form: FormData) -> bool:
    sent, kept = form.get(FIELD), request.cookies.get(COOKIE)
    if not isinstance(sent, str) or not kept or len(kept) != TOKEN_LENGTH:
        return False
    return hmac.compare_digest(sent.encode(), kept.encode())
