"""Templates and the one render helper every page uses: it adds the caller, what their scope
lets them do and the CSRF token, and sets the CSRF cookie when the token is new."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from app.security.guard import Principal
from app.security.schemas import Scope
from app.ui import csrf

DASH = "\u2013"  # shown for a missing value
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


# Pages load only the app's own script and style, and no other site may frame them (a framed
# delete button could be clicked through a disguise).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def human_bytes(size: int | float | None) -> str:
    if size is None:
        return DASH
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def when(moment: datetime | None) -> str:
    return DASH if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def score(value: float | None) -> str:
    """A metric: counts as integers, scores to four places."""
    if value is None:
        return DASH
    return str(value) if isinstance(value, int) else f"{value:.4f}"


def plain(value: object) -> str:
    """A hyperparameter as the API writes it: true, false, null, numbers, text."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return str(value)


templates.env.filters.update(
    plain=plain,
    human_bytes=human_bytes,
    when=when,
    score=score,
    pretty=lambda value: json.dumps(value, indent=2, sort_keys=True, default=str),
)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    principal: Principal | None,
    status_code: int = 200,
) -> Response:
    kept = csrf.secret(request)
    scope = principal.scope if principal else None
    context = context | {
        "principal": principal,
        "auth_enabled": request.state.guard.enabled,
        "can_train": scope is not None and scope.includes(Scope.train),
        "can_delete": scope is not None and scope.includes(Scope.admin),
        "csrf_token": csrf.form_token(request, kept),
    }
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    csrf.remember(request, response, kept)
    return response
