"""Gives a request a time to send its whole body."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import Code, Refusal


class LimitBodyTime:
    """`timeout` seconds, from when the app first reads the body, to receive all of it: a
    client that stalls half-way would otherwise hold its task and its buffers for ever.
    Raises a Refusal (body_timeout: 408, and the connection closes)."""

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
                raise Refusal(
                    Code.BODY_TIMEOUT, f"request body not received within {self.timeout:g} s"
                ) from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)
