"""Pure ASGI middleware (cheap per request): body size and time limits, security
and cache headers, and one log line and the metrics per request."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import record_request

log = logging.getLogger("digitpad")

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        (b"default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]
# The page's HTML is checked with the server every time (it names the model version),
# while /static files may be reused for a while.
HTML_CACHE_CONTROL = b"no-cache"
CLIENT_CLOSED = 499  # nginx's status for a client that went away before its answer: not a server error


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body is over the limit of {limit} bytes")


class LimitBodySize:
    """Refuses bodies over `max_bytes` before reading them into memory: at once when
    Content-Length says so, else as soon as the streamed body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = JSONResponse({"detail": str(BodyTooLarge(self.max_bytes)), "code": "body_too_large"}, status_code=413)
            return await response(scope, receive, send)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


class BodyReadTimeout(Exception):
    def __init__(self, timeout: float) -> None:
        super().__init__(f"request body not received within {timeout:g} s")


class LimitBodyTime:
    """Gives a request `timeout` seconds, from when the app first reads it, to send
    its whole body: a client that stalls half-way would otherwise hold its task
    and its buffers for ever. Raises BodyReadTimeout (app.main answers 408)."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app, self.timeout = app, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        deadline: float | None = None
        body_done = False

        async def timed_receive() -> Message:
            nonlocal deadline, body_done
            if body_done:  # from here on receive() only waits for a disconnect, which may take long
                return await receive()
            deadline = deadline or asyncio.get_running_loop().time() + self.timeout
            try:
                async with asyncio.timeout_at(deadline):  # a timer, not a task per receive() as wait_for
                    message = await receive()
            except TimeoutError:
                raise BodyReadTimeout(self.timeout) from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)


def printable(text: str) -> str:
    """`text` with backslashes and everything unprintable (newlines, ANSI escapes,
    NUL) escaped as in Python literals: what a client sends cannot forge log lines."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(c if c.isprintable() and c != "\\" else c.encode("unicode_escape").decode() for c in text)


class SecurityHeadersAndLog:
    """Adds the security and cache headers, logs method, path, status and latency
    (never a body), and counts the request in the metrics."""

    def __init__(self, app: ASGIApp, static_max_age_s: int = 300, count: bool = True) -> None:
        self.app = app
        self.count = count
        self.static_cache_control = f"public, max-age={static_max_age_s}".encode()

    def _cache_control(self, path: str, status: int, headers: list[tuple[bytes, bytes]]) -> bytes | None:
        if any(name.lower() == b"cache-control" for name, _ in headers):
            return None
        if path.startswith("/static/"):
            return self.static_cache_control if status < 400 else None
        content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
        return HTML_CACHE_CONTROL if content_type.startswith(b"text/html") else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500
        disconnected = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), *SECURITY_HEADERS]
                cache_control = self._cache_control(scope["path"], status, headers)
                if cache_control:
                    headers.append((b"cache-control", cache_control))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
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
                record_request(getattr(route, "path", None), scope["method"],
                               CLIENT_CLOSED if disconnected else status, elapsed / 1000)
