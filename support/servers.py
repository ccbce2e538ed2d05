"""Real servers on 127.0.0.1 for tests and benchmarks: digitpad-serve started as a
user starts it, waited for, measured (memory, listening sockets) and stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

import httpx

from support.drawing import draw, encode
from support.paths import ROOT

# What the page sends for a 7 drawn with the mouse: 280x280 RGBA, dark ink on white,
# encoded by Chromium's canvas (recorded by benchmarks.canvas_capture).
CANVAS = ROOT / "support" / "canvas-seven.png"
# The same 7 as black ink on transparent, encoded by Pillow: compressed harder, slower to
# decode, and transparency to flatten; a harder case than the page's.
PILLOW_PNG = encode(draw(7))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout} s")


class Server(NamedTuple):
    url: str
    port: int
    process: subprocess.Popen


@contextmanager
def running_server(
    log: IO[str] | None = None, workers: int | None = 1, **environment: str
) -> Iterator[Server]:
    """A real `digitpad-serve` on 127.0.0.1; its standard error to `log` if given. One
    worker unless `workers` says how many (None: the service's default, one per core): a
    test's figures (memory, counts, log lines) are a process's, whatever the machine."""
    port = free_port()
    pinned = {} if workers is None else {"DIGITPAD_WORKERS": str(workers)}
    env = {**os.environ, "DIGITPAD_PORT": str(port), "DIGITPAD_LOG_LEVEL": "warning", **pinned, **environment}
    process = subprocess.Popen([sys.executable, "-m", "app.cli.serve"], cwd=ROOT, env=env, stderr=log)
    server = Server(f"http://127.0.0.1:{port}", port, process)
    try:
        wait_ready(server.url, process)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers)."""
    pids, total = [pid], 0
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        total += int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
        pids += [int(child) for child in children]
    return total / 1024


def listening_sockets(port: int) -> int:
    """How many sockets listen on `port` (IPv4): one per worker with SO_REUSEPORT."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1 for line in lines if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port
    )  # 0A: LISTEN


def start(
    command: list[str], port: int, env: dict[str, str], workers: int = 1
) -> tuple[subprocess.Popen, float]:
    """Starts a server; returns it and the seconds until its first successful prediction
    (then waits until every worker listens)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    cold = None
    while cold is None or listening_sockets(port) < workers:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited with {process.returncode}")
        try:
            files = {"file": ("seven.png", PILLOW_PNG, "image/png")}
            if (
                cold is None
                and httpx.post(f"http://127.0.0.1:{port}/predict", files=files, timeout=5).status_code == 200
            ):
                cold = time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    return process, cold
