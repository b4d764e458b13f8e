"""Errors on UI pages: the one error table (app/errors.py) decides the status and the message,
the UI only shows them as a page instead of JSON.

`show_as_pages` wraps each handler the app already has: for a path under /ui, the handler's
JSON response becomes the error page with the same status; elsewhere it is returned untouched.
So UI views let domain errors propagate exactly as the JSON views do.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from app.ui.rendering import render

UI_PREFIX = "/ui"
Handler = Callable[[Request, Any], Awaitable[Response] | Response]


def message_of(response: Response) -> str:
    """The table's `detail`: a message, or FastAPI-shaped errors naming their fields."""
    try:
        detail = json.loads(bytes(response.body))["detail"]
    except (ValueError, KeyError, TypeError):
        return "the request could not be completed"
    if isinstance(detail, list):
        return "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', [])[1:])}: {e.get('msg')}" for e in detail
        )
    return str(detail)


def error_page(request: Request, status_code: int, message: str) -> Response:
    context = {"message": message, "status_code": status_code}
    return render(request, "error.html", context, principal=None, status_code=status_code)


def page_or_json(handler: Handler) -> Callable[[Request, Any], Awaitable[Response]]:
    async def handle(request: Request, exc: Any) -> Response:
        response = handler(request, exc)
        if not isinstance(response, Response):
            response = await response
        if not request.url.path.startswith(UI_PREFIX):
            return response
        page = error_page(request, response.status_code, message_of(response))
        if "retry-after" in response.headers:
            page.headers["Retry-After"] = response.headers["retry-after"]
        return page

    return handle


def show_as_pages(app: FastAPI) -> None:
    """Wrap every exception handler installed so far (the error table, FastAPI's 422)."""
    for key, handler in list(app.exception_handlers.items()):
        if not isinstance(key, int):
            app.exception_handlers[key] = page_or_json(handler)
