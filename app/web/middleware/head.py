"""HEAD on every GET route: answered as GET without its body (the server sends no body
for a HEAD request), as HTTP asks and as Starlette does for its own routes."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)
        # A copy: the server must still see HEAD, and leave the body out.
        as_get = {**scope, "method": "GET"}
        await self.app(as_get, receive, send)
        if "route" in as_get:  # for the access log's handler label
            scope["route"] = as_get["route"]
