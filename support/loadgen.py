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


def multipart_request(path: str, filename: str, data: bytes, content_type: str = "image/png") -> bytes:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return build_request(path, body, f"multipart/form-data; boundary={boundary}")


@dataclass
class Result:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, in completion order
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0

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


async def _worker(host: str, port: int, requests, count: int, result: Result, on_done) -> None:
    reader = writer = None
    for _ in range(count):
        request = next(requests)
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            await writer.drain()
            status, closed = await _read_response(reader)
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


def run(host: str, port: int, requests: list[bytes], total: int, concurrency: int, on_done=None) -> Result:
    """Sends `total` requests (cycling through `requests`) over `concurrency` connections."""
    cycle = itertools.cycle(requests)
    result = Result(seconds=0.0)
    shares = [total // concurrency + (i < total % concurrency) for i in range(concurrency)]

    async def main() -> None:
        started = time.perf_counter()
        await asyncio.gather(*(_worker(host, port, cycle, n, result, on_done) for n in shares))
        result.seconds = time.perf_counter() - started

    asyncio.run(main())
    return result
