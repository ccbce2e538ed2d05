"""Refuses bodies over a size before reading them into memory."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import Code, Refusal
from app.web import problems


class LimitBodySize:
    """At once when Content-Length says the body is too large, else as soon as the
    streamed body passes the limit (a Refusal the app's handlers answer with 413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.detail = f"request body is over the limit of {max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            refusal = problems.response(scope["path"], Code.BODY_TOO_LARGE, self.detail)
            return await refusal(scope, receive, send)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise Refusal(Code.BODY_TOO_LARGE, self.detail)
            return message

        await self.app(scope, limited_receive, send)
