"""A minimal HTTP/1.1 load generator for loopback benchmarks and soak tests.

Each worker keeps one connection open and replays pre-built requests, so the
client adds microseconds, not the ~0.5 ms per request of a full HTTP client,
to latencies of about a millisecond.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


def build_request(
    path: str, body: bytes, content_type: str, host: str = "127.0.0.1", headers: dict[str, str] | None = None
) -> bytes:
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def multipart_request(
    path: str, filename: str, data: bytes, content_type: str = "image/png", name: str = "file"
) -> bytes:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return build_request(path, body, f"multipart/form-data; boundary={boundary}")


def get_request(path: str, host: str = "127.0.0.1") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


# Given the index of an answer in an exchange and its body: the next request of the same
# exchange, on the same connection, or None when the exchange is complete (an upload, then
# the call that names the uploaded file, then the GET that streams the result).
Follow = Callable[[int, bytes], bytes | None]


@dataclass
class Result:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, in completion order
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    wrong: int = 0  # 200s whose body `check` refused

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    await reader.readexactly(int(headers.get("content-length", 0)))
    return status, headers.get("connection", "").lower() == "close"


async def _read_message(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Status, whether the server closes, and the body: by Content-Length, chunked (a
    stream such as server-sent events) or, with neither, up to the connection's end."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    closed = headers.get("connection", "").lower() == "close"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)  # the CRLF after each chunk
        await reader.readuntil(b"\r\n")  # no trailers: the empty line that ends the message
        return status, closed, b"".join(chunks)
    if "content-length" in headers or status in (204, 304):
        return status, closed, await reader.readexactly(int(headers.get("content-length", 0)))
    return status, True, await reader.read()


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: bytes,
    follow: Follow | None,
    check: Callable[[bytes], bool] | None,
) -> tuple[int, bool, bool]:
    """A request and those `follow` adds to it; the last answer's status, whether the
    server closes, and whether `check` accepts the last body."""
    step = 0
    while True:
        writer.write(request)
        await writer.drain()
        status, closed, body = await _read_message(reader)
        following = follow(step, body) if follow and status == 200 and not closed else None
        if following is None:
            return status, closed, status != 200 or check is None or check(body)
        request, step = following, step + 1


async def _worker(
    host: str,
    port: int,
    requests,
    count: int,
    result: Result,
    on_done,
    follow: Follow | None = None,
    check: Callable[[bytes], bool] | None = None,
) -> None:
    reader = writer = None
    for _ in range(count):
        request = next(requests)
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            if follow is None and check is None:
                writer.write(request)
                await writer.drain()
                status, closed = await _read_response(reader)
            else:
                status, closed, right = await _exchange(reader, writer, request, follow, check)
                result.wrong += not right
        except (OSError, asyncio.IncompleteReadError):
            result.connection_errors += 1
            writer = None
            continue
        result.latencies.append(time.perf_counter() - started)
        result.statuses[status] += 1
        if on_done:
            on_done(result)
        if closed:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def run(
    host: str,
    port: int,
    requests: list[bytes],
    total: int,
    concurrency: int,
    on_done=None,
    follow: Follow | None = None,
    check: Callable[[bytes], bool] | None = None,
    deadline_s: float | None = None,
) -> Result:
    """Sends `total` requests (cycling through `requests`) over `concurrency` connections.

    With `follow`, each request starts an exchange of several (timed as one); with `check`,
    a 200 whose (last) body it refuses counts in `wrong`; past `deadline_s` in all, the run
    stops with TimeoutError (a server that stopped answering)."""
    cycle = itertools.cycle(requests)
    result = Result(seconds=0.0)
    shares = [total // concurrency + (i < total % concurrency) for i in range(concurrency)]

    async def main() -> None:
        started = time.perf_counter()
        async with asyncio.timeout(deadline_s):
            await asyncio.gather(
                *(_worker(host, port, cycle, n, result, on_done, follow, check) for n in shares)
            )
        result.seconds = time.perf_counter() - started

    asyncio.run(main())
    return result
