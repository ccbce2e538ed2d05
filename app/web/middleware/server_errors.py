"""An error no handler answered: a 500 in the service's vocabulary, logged with its
traceback, never the traceback itself. Inside the security headers, so a 500 has them
too (Starlette's own last-resort handler answers outside every middleware)."""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import Code
from app.web import problems

log = logging.getLogger("digitpad")


class ServerErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_start)
        except ClientDisconnect:
            raise  # nobody to answer: the access log notes it
        except Exception:
            log.exception("internal error on %s %s", scope["method"], scope["path"])
            if started:  # too late for an answer: the connection is closed mid-response
                raise
            answer = problems.response(
                scope["path"], Code.INTERNAL_ERROR, "internal error; it has been logged"
            )
            await answer(scope, receive, send)
