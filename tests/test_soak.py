"""20,000 mixed requests at concurrency 32 against a real uvicorn process (marked: ~1 min)."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from PIL import Image

from benchmarks import loadgen
from benchmarks.serving import process_tree_rss_mb
from tests.conftest import ROOT, free_port, wait_ready
from tests.drawing import draw, encode

pytestmark = pytest.mark.soak
TOTAL, CONCURRENCY, WINDOW = 20_000, 32, 1_000


def mixed_requests() -> list[bytes]:
    png = encode(draw(7))
    photo = encode(draw(4, size=(1200, 900), width=30, ink=(30, 30, 90), paper=(220, 215, 200), mode="RGB"), "JPEG")
    data_url = json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()}).encode()
    return [
        loadgen.build_request("/predict", png, "image/png"),
        loadgen.multipart_request("/predict", "photo.jpg", photo, "image/jpeg"),
        loadgen.build_request("/predict", data_url, "application/json"),
        loadgen.build_request("/predict", png[: len(png) // 2], "image/png"),  # truncated: 400
        loadgen.build_request("/predict", encode(Image.new("L", (64, 64), 255)), "image/png"),  # blank: 422
        loadgen.build_request("/predict", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),  # 415
        loadgen.build_request("/predict", png, "application/octet-stream"),  # 415
        loadgen.build_request("/predict", b'{"image": "%%%"}', "application/json"),  # 422
        loadgen.build_request("/predict", encode(Image.new("1", (20000, 20000))), "image/png"),  # bomb: 413
    ]


def test_soak_mixed_valid_and_invalid_images():
    port = free_port()
    env = {**os.environ, "DIGITPAD_PORT": str(port), "DIGITPAD_LOG_LEVEL": "warning"}
    server = subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server)
        samples = {}

        def sample_memory(result: loadgen.Result) -> None:
            if result.requests in (WINDOW, TOTAL - WINDOW):
                samples[result.requests] = process_tree_rss_mb(server.pid)

        result = loadgen.run("127.0.0.1", port, mixed_requests(), TOTAL, CONCURRENCY, sample_memory)
        samples["end"] = process_tree_rss_mb(server.pid)
        print(f"\n{result.requests} requests in {result.seconds:.1f} s ({result.throughput:.0f}/s), "
              f"statuses {dict(result.statuses)}, RSS MB {samples}")

        assert result.connection_errors == 0 and result.requests == TOTAL
        assert set(result.statuses) <= {200, 400, 413, 415, 422}
        assert samples["end"] < samples[WINDOW] * 1.10
        assert httpx.get(f"{url}/health").status_code == 200
        assert httpx.post(f"{url}/predict", content=encode(draw(7)), headers={"content-type": "image/png"}).json()["digit"] == 7
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_two_worker_processes_share_the_load():
    port = free_port()
    env = {**os.environ, "DIGITPAD_PORT": str(port), "DIGITPAD_LOG_LEVEL": "warning", "DIGITPAD_WORKERS": "2"}
    server = subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=ROOT, env=env)
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        workers = [int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        before = {pid: cpu_seconds(pid) for pid in workers}
        result = loadgen.run("127.0.0.1", port, mixed_requests()[:3], 600, 8)
        assert result.statuses == {200: 600} and result.connection_errors == 0
        work = {pid: cpu_seconds(pid) - before[pid] for pid in workers}
        busy = [pid for pid, seconds in work.items() if seconds > 0.1]  # not multiprocessing's tracker
        assert len(busy) == 2, work
    finally:
        server.terminate()
        server.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
