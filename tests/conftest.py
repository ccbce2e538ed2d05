from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
MNIST_DIR = SHARED_DATA / "mnist"


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


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
def running_server(**environment: str) -> Iterator[Server]:
    """A real uvicorn process on 127.0.0.1, as `digitpad-serve` starts it."""
    port = free_port()
    env = {**os.environ, "DIGITPAD_PORT": str(port), "DIGITPAD_LOG_LEVEL": "warning", **environment}
    process = subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=ROOT, env=env)
    server = Server(f"http://127.0.0.1:{port}", port, process)
    try:
        wait_ready(server.url, process)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    with running_server() as server:
        yield server.url


def needs_mnist() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not MNIST_DIR.is_dir(), reason=f"MNIST files not found in {MNIST_DIR}")
