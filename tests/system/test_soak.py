"""8,000 mixed requests at concurrency 32 against a real uvicorn process (marked: ~25 s)."""

import base64
import json
import os
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from support import loadgen
from support.drawing import draw, encode
from support.servers import listening_sockets, process_tree_rss_mb, running_server

pytestmark = pytest.mark.soak
TOTAL, CONCURRENCY, WINDOW = 8_000, 32, 1_000


def mixed_requests() -> list[bytes]:
    png = encode(draw(7))
    photo = encode(
        draw(4, size=(1200, 900), width=30, ink=(30, 30, 90), paper=(220, 215, 200), mode="RGB"), "JPEG"
    )
    data_url = json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()}).encode()
    return [
        loadgen.build_request("/predict", png, "image/png"),
        loadgen.multipart_request("/predict", "photo.jpg", photo, "image/jpeg"),
        loadgen.build_request("/predict", data_url, "application/json"),
        loadgen.build_request("/predict", png[: len(png) // 2], "image/png"),  # truncated: 400
        loadgen.build_request("/predict", encode(Image.new("L", (64, 64), 255)), "image/png"),  # blank: 422
        loadgen.build_request(
            "/predict", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"
        ),  # 415
        loadgen.build_request("/predict", png, "application/octet-stream"),  # 415
        loadgen.build_request("/predict", b'{"image": "%%%"}', "application/json"),  # 422
        loadgen.build_request("/predict", encode(Image.new("1", (20000, 20000))), "image/png"),  # bomb: 413
    ]


def test_soak_mixed_valid_and_invalid_images():
    with running_server() as server:
        samples = {}

        def sample_memory(result: loadgen.Result) -> None:
            if result.requests in (WINDOW, TOTAL - WINDOW):
                samples[result.requests] = process_tree_rss_mb(server.process.pid)

        result = loadgen.run("127.0.0.1", server.port, mixed_requests(), TOTAL, CONCURRENCY, sample_memory)
        samples["end"] = process_tree_rss_mb(server.process.pid)
        print(
            f"\n{result.requests} requests in {result.seconds:.1f} s ({result.throughput:.0f}/s), "
            f"statuses {dict(result.statuses)}, RSS MB {samples}"
        )

        assert result.connection_errors == 0 and result.requests == TOTAL
        assert set(result.statuses) <= {200, 400, 413, 415, 422}
        assert samples["end"] < samples[WINDOW] * 1.10
        assert httpx.get(f"{server.url}/health").status_code == 200
        seven = httpx.post(
            f"{server.url}/predict", content=encode(draw(7)), headers={"content-type": "image/png"}
        )
        assert seven.json()["digit"] == 7


def test_two_worker_processes_share_keep_alive_connections():
    with running_server(DIGITPAD_WORKERS="2") as server:
        deadline = time.monotonic() + 30
        while listening_sockets(server.port) < 2:  # each worker listens once its model is loaded
            assert time.monotonic() < deadline, "the second worker never listened"
            time.sleep(0.05)
        pid = server.process.pid
        workers = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        before = {worker: cpu_seconds(worker) for worker in workers}
        # 16 connections opened at once: the kernel spreads them over the workers'
        # sockets (all on one worker has odds of 1 in 32,768).
        result = loadgen.run("127.0.0.1", server.port, mixed_requests()[:3], 640, 16)
        assert result.statuses == {200: 640} and result.connection_errors == 0
        work = {worker: cpu_seconds(worker) - before[worker] for worker in workers}
        busy = [worker for worker, seconds in work.items() if seconds > 0.05]  # not multiprocessing's tracker
        assert len(busy) == 2, work


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
