"""uvicorn's HTTP protocol, with what it lacks: limits on the request head (a deadline and
a size), and a response's head and body sent in one write."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.errors import Code
from app.web import problems
from app.web.middleware.headers import SECURITY_HEADERS


class HeadTooLarge(Exception):
    pass


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"  # what uvicorn writes to a client that expects it


class _OneWrite:
    """A response's transport: holds the head until the body's first write, so that the two
    go out in one send() (uvicorn writes them apart: two system calls, two packets)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.head: bytes | None = None
        self.started = False

    def write(self, data: bytes) -> None:
        if not self.started and data != CONTINUE:  # the client waits for that one to send its body
            self.started, self.head = True, data
            return
        if self.head is not None:
            data, self.head = self.head + data, None
        self.transport.write(data)

    def flush(self) -> None:
        if self.head is not None:
            head, self.head = self.head, None
            self.transport.write(head)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> object:
        return getattr(self.transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the two limits it lacks for the request head.

    It has no deadline for the head (its keep-alive timer only runs between
    requests), so a client that trickles a header a byte at a time, or connects and
    says nothing, holds the connection for ever; and it has no limit on the size of
    the head. Here the head must be complete `header_timeout_s` after the connection
    opens or the request begins, and at most `max_header_bytes` long (else 431).

    And uvicorn writes a response's head and its body apart: two system calls and two
    packets for every answer, a sixth of a small request's CPU (benchmarks/profile.py).
    """

    # The settings' defaults; digitpad-serve passes its own (`limited`).
    head_timeout: ClassVar[float] = 10.0
    max_head_bytes: ClassVar[int] = 16 * 1024

    @classmethod
    def limited(cls, head_timeout_s: float, max_head_bytes: int) -> type[HttpProtocol]:
        """This protocol with these limits: uvicorn makes one per connection, from a class."""
        limits = {"head_timeout": head_timeout_s, "max_head_bytes": max_head_bytes}
        return type(cls.__name__, (cls,), limits)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.head_timer: asyncio.TimerHandle | None = None
        # Two measures of the head so far, as the parser reports only whole lines of it:
        # the URL and the header lines it has parsed, and the bytes received while the
        # head was unfinished (which it holds, however long the line it is reading).
        self.head_parsed = 0
        self.head_pending = 0
        self.head_path = "/"
        self.malformed = ""  # why the request after those being answered cannot be parsed

    def _start_head_timer(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _count_head(self, size: int) -> None:
        self.head_parsed += size
        if self.head_parsed > self.max_head_bytes:
            raise HeadTooLarge  # stops the parser, and uvicorn calls send_400_response

    def _refuse_head(self) -> None:
        detail = f"request head is over the limit of {self.max_head_bytes} bytes"
        self._refuse(b"431 Request Header Fields Too Large", Code.HEAD_TOO_LARGE, detail)

    def _refuse(self, status: bytes, code: Code, detail: str) -> None:
        """Answers in the service's vocabulary, with its security headers, and closes: what
        uvicorn itself would answer in plain text, without them."""
        body = problems.body(self.head_path, code, detail)
        headers = b"".join(name + b": " + value + b"\r\n" for name, value in SECURITY_HEADERS)
        self.transport.write(
            b"HTTP/1.1 %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n%s\r\n%s"
            % (status, len(body), headers, body)
        )
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_parsed = self.head_pending = 0
        self._start_head_timer()

    def on_url(self, url: bytes) -> None:
        self.head_path = url.split(b"?", 1)[0].decode("latin-1")  # where a refusal's words go (the /v2 shape)
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = _OneWrite(self.transport)  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.head_timer is not None and not self.transport.is_closing():  # the head is unfinished
            self.head_pending += len(data)
            if self.head_pending > self.max_head_bytes:
                self._refuse_head()

    def send_400_response(self, msg: str) -> None:
        if self.head_parsed > self.max_head_bytes:  # the parser error is HeadTooLarge
            return self._refuse_head()
        self.malformed = f"malformed HTTP request: {msg}"
        if self.cycle is not None and not self.cycle.response_complete:
            # Requests pipelined before this one are answered first; nothing after it is read.
            self.flow.pause_reading()
            return None
        self._refuse(b"400 Bad Request", Code.BAD_REQUEST, self.malformed)

    def on_response_complete(self) -> None:
        if self.cycle is not None and isinstance(self.cycle.transport, _OneWrite):
            self.cycle.transport.flush()
        super().on_response_complete()
        if self.malformed and not self.pipeline and self.cycle is not None and self.cycle.response_complete:
            self._refuse(b"400 Bad Request", Code.BAD_REQUEST, self.malformed)
