"""The security headers on every answer, and how long browsers may cache it."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        (
            b"default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; "
            b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        ),
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]
# The page's HTML is checked with the server every time (it names the model version),
# while /static files may be reused for a while.
HTML_CACHE_CONTROL = b"no-cache"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, static_max_age_s: int = 300) -> None:
        self.app = app
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

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *SECURITY_HEADERS]
                cache_control = self._cache_control(scope["path"], message["status"], headers)
                if cache_control:
                    headers.append((b"cache-control", cache_control))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
