"""One log line per request (never its body), and its count and latency in the metrics."""

from __future__ import annotations

import logging
import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.metrics import record_request

log = logging.getLogger("digitpad")
CLIENT_CLOSED = 499  # nginx's status for a client that went away before its answer: not a server error


def printable(text: str) -> str:
    """`text` with backslashes and everything unprintable (newlines, ANSI escapes,
    NUL) escaped as in Python literals: what a client sends cannot forge log lines."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(c if c.isprintable() and c != "\\" else c.encode("unicode_escape").decode() for c in text)


class AccessLog:
    def __init__(self, app: ASGIApp, count: bool = True) -> None:
        self.app = app
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500
        disconnected = False

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        except ClientDisconnect:
            # Not a server error: the client went away before sending its whole body,
            # and there is no one left to answer.
            disconnected = True
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            outcome = "client disconnected" if disconnected else status
            log.info("%s %s %s %.2fms", scope["method"], printable(scope["path"]), outcome, elapsed)
            if self.count:
                route = scope.get("route")  # the matched route's template, never the path a client sent
                record_request(
                    getattr(route, "path", None),
                    scope["method"],
                    CLIENT_CLOSED if disconnected else status,
                    elapsed / 1000,
                )
