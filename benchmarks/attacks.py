"""The attacks and faults an outside review found, replayed against a real server on
127.0.0.1: what each gets now, and what it costs the worker.

    python -m benchmarks.attacks          # about a minute on 2 cores

Figures, not pass/fail (the tests check the answers): status, answer size, time, and the
worker's peak memory (VmHWM) over the attack.
"""

from __future__ import annotations

import base64
import io
import json
import re
import socket
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from support.servers import PILLOW_PNG, running_server

INFER = "/v2/models/digits/infer"


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def measured(pid: int, attack: Callable[[], httpx.Response]) -> tuple[httpx.Response, float, float]:
    """The answer, its seconds, and the worker's peak memory growth in MB."""
    reset_peak(pid)
    before = peak_mb(pid)
    started = time.perf_counter()
    answer = attack()
    return answer, time.perf_counter() - started, peak_mb(pid) - before


def progressive_jpeg(side: int) -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (side // 8, side // 8, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).resize((side, side)).save(buffer, "JPEG", quality=20, progressive=True)
    return buffer.getvalue()


def raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def series(url: str) -> int:
    return sum(
        1 for line in httpx.get(f"{url}/metrics").text.splitlines() if line and not line.startswith("#")
    )


def health_while_scraped(url: str, scrapers: int = 8, seconds: float = 5.0) -> list[float]:
    stop = time.monotonic() + seconds
    latencies: list[float] = []

    def scrape() -> None:
        with httpx.Client() as client:
            while time.monotonic() < stop:
                client.get(f"{url}/metrics")

    threads = [threading.Thread(target=scrape) for _ in range(scrapers)]
    for thread in threads:
        thread.start()
    with httpx.Client() as client:
        while time.monotonic() < stop:
            started = time.perf_counter()
            client.get(f"{url}/health")
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    return latencies


def main() -> int:
    zeros = [0.0] * (28 * 28)
    with running_server(DIGITPAD_WORKERS="1") as server:
        url, pid = server.url, server.process.pid
        rows = []

        def row(name: str, answer: httpx.Response, seconds: float, grown: float) -> None:
            code = (
                answer.json().get("code", "")
                if answer.headers.get("content-type") == "application/json"
                else ""
            )
            rows.append(
                f"| {name} | {answer.status_code} {code} | {len(answer.content):,} | {seconds * 1000:.0f} | "
                f"{grown:.0f} |"
            )

        copies = {
            "inputs": [{"name": "image", "shape": [256, 28, 28, 1], "datatype": "FP32", "data": zeros * 256}],
            "outputs": [{"name": "probabilities"}] * 3000,
        }
        row(
            "OIP: 256 images, one output asked 3,000 times",
            *measured(pid, lambda: httpx.post(f"{url}{INFER}", json=copies, timeout=60)),
        )
        jpeg = progressive_jpeg(6324)
        row(
            f"progressive 6324x6324 RGB JPEG ({len(jpeg) // 1000} kB)",
            *measured(
                pid,
                lambda: httpx.post(f"{url}/predict", content=jpeg, headers={"content-type": "image/jpeg"}),
            ),
        )
        row(
            "OIP header length '²'",
            *measured(
                pid,
                lambda: httpx.post(
                    f"{url}{INFER}", content=b"{}", headers={"inference-header-content-length": b"\xb2"}
                ),
            ),
        )
        overflow = (
            b'{"inputs":[{"name":"image","shape":[1,28,28,1],"datatype":"FP32","data":[1'
            + b"0" * 400
            + b"]}]}"
        )
        row(
            "OIP FP32 data 10^400",
            *measured(
                pid,
                lambda: httpx.post(
                    f"{url}{INFER}", content=overflow, headers={"content-type": "application/json"}
                ),
            ),
        )
        big = Image.new("L", (6000, 6000), 255)
        buffer = io.BytesIO()
        big.save(buffer, "PNG")
        batch = {
            "inputs": [
                {
                    "name": "image_bytes",
                    "shape": [140],
                    "datatype": "BYTES",
                    "data": [base64.b64encode(buffer.getvalue()).decode()] * 140,
                }
            ]
        }
        row(
            "OIP: 140 images of 36 Mpx (under the body limit)",
            *measured(pid, lambda: httpx.post(f"{url}{INFER}", json=batch, timeout=120)),
        )
        row(
            "normal /predict (the page's 7)",
            *measured(
                pid,
                lambda: httpx.post(
                    f"{url}/predict", content=PILLOW_PNG, headers={"content-type": "image/png"}
                ),
            ),
        )

        before = series(url)
        with httpx.Client() as client:
            for i in range(945):
                client.request(
                    ("PROPFIND", "LOCK", "MKCOL", "COPY", "MOVE")[i % 5] + ("X" * (i % 189)), f"{url}/health"
                )
        after = series(url)
        scrape_started = time.perf_counter()
        httpx.get(f"{url}/metrics")
        scrape_ms = (time.perf_counter() - scrape_started) * 1000
        health = health_while_scraped(url)

        slash = httpx.get(f"{url}/health/", headers={"host": "evil.example"})
        head = httpx.head(f"{url}/health")
        malformed = raw(url, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n")

    print("| attack | answer | bytes | ms | worker peak memory growth, MB |\n|---|---|---|---|---|")
    print("\n".join(rows))
    print(
        f"\n945 requests with made-up methods: metric series {before} -> {after}; a scrape then takes "
        f"{scrape_ms:.1f} ms"
    )
    print(
        f"/health while 8 clients loop on /metrics: p50 {statistics.median(health) * 1000:.1f} ms, "
        f"max {max(health) * 1000:.1f} ms over {len(health)} checks"
    )
    print(
        f"GET /health/ with Host: evil.example: {slash.status_code} (location: "
        f"{slash.headers.get('location')}); HEAD /health: {head.status_code}, {len(head.content)} bytes"
    )
    statuses = [status.decode() for status in re.findall(rb"HTTP/1\.1 (\d{3})", malformed)]
    refusal = malformed[malformed.rindex(b"HTTP/1.1 ") :]
    print(
        f"a valid request pipelined before a malformed one: answers {', '.join(statuses)}; "
        f"security headers on the 400: {b'content-security-policy' in refusal}"
    )
    print(
        json.dumps(
            {
                "note": "full disks, a killed master and corrupt models are replayed by the tests "
                "(tests/web/test_metrics.py, tests/cli/test_serve.py, tests/web/test_hardening.py)"
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
