"""A request body limit: 413 before reading a body whose Content-Length is too large, and
when a body sent without one (chunked) grows past the limit while it is read."""

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = 413


def too_large_detail(limit: int) -> str:
    return f"request body larger than {limit} bytes"


class BodySizeLimit:
    """`max_bytes` for every request, except the (method, path) pairs of `routes` (a dataset
    upload), which have limits of their own."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, routes: dict[tuple[str, str], int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.routes = routes or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.routes.get((scope["method"], scope["path"].rstrip("/")), self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, limit)
            return
        await self.app(scope, self._counting(receive, limit), send)

    def _counting(self, receive: Receive, limit: int) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI re-raises an HTTPException met while reading the body: a clean 413.
                raise HTTPException(TOO_LARGE, too_large_detail(limit))
            return message

        return counted

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps({"detail": too_large_detail(limit)}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": TOO_LARGE, "headers": headers})
        await send({"type": "http.response.body", "body": body})
