"""Errors on UI pages: the one error table (app/errors.py) decides the status and the message,
the UI only shows them as a page instead of JSON.

`ErrorPages` sits outside every other middleware and rewrites any JSON error answered under
/ui into the error page with the same status and message: the routes' exception handlers (the
error table, FastAPI's 422), and the refusals that happen before a route runs (the request
gate's 429 and 503, the body limit's 413). An exception nothing handled becomes a 500 page
before the server logs it. So UI views let domain errors propagate exactly as the JSON views do,
and no browser is ever shown a JSON body or a bare "Internal Server Error".
"""

import json

from fastapi import Request
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ui.rendering import render

UI_PREFIX = "/ui"
KEPT_HEADERS = ("retry-after",)
UNEXPECTED = "something went wrong on the server; it has been logged, please retry"


def message_of(body: bytes) -> str:
    """The table's `detail`: a message, or FastAPI-shaped errors naming their fields."""
    try:
        detail = json.loads(body)["detail"]
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


def is_json_error(message: Message) -> bool:
    content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
    return message["status"] >= 400 and content_type.startswith("application/json")


class ErrorPages:
    """Buffers a JSON error's (small) body under /ui and answers the error page instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == UI_PREFIX or path.startswith(UI_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        await _Exchange(scope, receive, send).run(self.app)


class _Exchange:
    """One request under /ui: passes the answer through unless it is a JSON error."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope, self.receive, self.send = scope, receive, send
        self.started = False
        self.held: Message | None = None  # the start of a JSON error, while its body arrives
        self.body = bytearray()

    async def run(self, app: ASGIApp) -> None:
        try:
            await app(self.scope, self.receive, self.relay)
        except Exception:
            if not self.started:
                await self.answer(500, UNEXPECTED, [])
            raise  # the server's own handler logs it

    async def relay(self, message: Message) -> None:
        if message["type"] == "http.response.start" and is_json_error(message):
            self.held = message
        elif self.held is not None and message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                headers = Headers(raw=self.held["headers"])
                kept = [(k, headers[k]) for k in KEPT_HEADERS if k in headers]
                await self.answer(self.held["status"], message_of(bytes(self.body)), kept)
        else:
            self.started = self.started or message["type"] == "http.response.start"
            await self.send(message)

    async def answer(self, status_code: int, message: str, headers: list[tuple[str, str]]) -> None:
        self.started = True
        page = error_page(Request(self.scope), status_code, message)
        for name, value in headers:
            page.headers[name] = value
        await page(self.scope, self.receive, self.send)
