"""GET /metrics: Prometheus' text format, parsed by prometheus_client's own parser,
counting what the requests did, in one process and added up over several workers."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.settings import Settings
from app.web.main import create_app
from support.drawing import draw, encode, number
from support.servers import listening_sockets, running_server

SEVEN = encode(draw(7))


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(metrics: dict, name: str, **labels: str) -> float:
    return metrics.get((name, frozenset(labels.items())), 0.0)


def predict(client, data: bytes):
    return client.post("/predict", content=data, headers={"content-type": "image/png"})


def test_counts_requests_latency_and_answers(client):
    version = client.get("/model").json()["version"]
    before = samples(client.get("/metrics").text)
    for _ in range(3):
        assert predict(client, SEVEN).status_code == 200
    assert predict(client, b"not an image").status_code == 400
    assert predict(client, encode(draw("A"))).json()["is_digit"] is False
    assert client.get("/no/such/page/1").status_code == 404
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    after = samples(response.text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("http_requests_total", handler="/predict", method="POST", status="200") == 4
    assert grew("http_requests_total", handler="/predict", method="POST", status="400") == 1
    # A path no route matches is counted under one label: clients cannot add label values.
    assert grew("http_requests_total", handler="none", method="GET", status="404") == 1
    assert not any("/no/such" in str(labels) for _, labels in after)
    assert grew("http_request_duration_seconds_count", handler="/predict", method="POST") == 5
    assert grew("http_request_duration_seconds_sum", handler="/predict", method="POST") > 0
    assert grew("digitpad_predictions_total", model="digits", version=version, answer="7") == 3
    assert grew("digitpad_predictions_total", model="digits", version=version, answer="not_a_digit") == 1
    assert value(after, "digitpad_model_info", model="digits", version=version) == 1


def test_read_counts_each_digit(client):
    version = client.get("/model").json()["version"]
    before = samples(client.get("/metrics").text)

    reading = client.post(
        "/read", content=encode(number("2026")), headers={"content-type": "image/png"}
    ).json()
    after = samples(client.get("/metrics").text)
    for digit in set(reading["number"]):
        grew = value(
            after, "digitpad_predictions_total", model="digits", version=version, answer=digit
        ) - value(before, "digitpad_predictions_total", model="digits", version=version, answer=digit)
        assert grew == reading["number"].count(digit)


def test_several_workers_add_up():
    """Each worker counts in its own files; any scrape, whichever worker answers, has them all."""
    with running_server(DIGITPAD_WORKERS="2") as server:
        deadline = time.monotonic() + 30
        while listening_sockets(server.port) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        requests = 40
        for _ in range(requests):  # a new connection each: the kernel spreads them over both workers
            response = httpx.post(
                f"{server.url}/predict", content=SEVEN, headers={"content-type": "image/png"}
            )
            assert response.status_code == 200
        for _ in range(6):  # whichever worker answers the scrape
            metrics = samples(httpx.get(f"{server.url}/metrics").text)
            assert (
                value(metrics, "http_requests_total", handler="/predict", method="POST", status="200")
                == requests
            )


def test_off_counts_nothing_and_answers_404(client):
    predict(client, SEVEN)  # counted, by the app that counts
    before = samples(client.get("/metrics").text)
    off = TestClient(create_app(Settings(metrics=False), client.app.state.registry.loaded()))
    with off:
        assert predict(off, SEVEN).status_code == 200
        response = off.get("/metrics")
    assert response.status_code == 404 and response.json()["code"] == "metrics_disabled"
    after = samples(client.get("/metrics").text)
    counted = [k for k in after if k[0] == "digitpad_predictions_total" or ("handler", "/predict") in k[1]]
    assert counted and all(after[k] == before.get(k) for k in counted)


def test_made_up_methods_share_one_label(client):
    for method in ("PROPFIND", "LOCK", "FOO"):
        client.request(method, "/health")
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    methods = {s.labels["method"] for s in families["http_requests"].samples}
    assert "other" in methods and not methods & {"PROPFIND", "LOCK", "FOO"}


@pytest.fixture
def full_filesystem(tmp_path) -> Iterator[Path]:
    """A small tmpfs with no space left."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(folder)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root on Linux)")
    try:
        with suppress(OSError), (folder / "filler").open("wb") as filler:
            filler.write(bytes(256 * 1024))
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_workers_keep_serving_when_their_metrics_folder_is_full(full_filesystem, tmp_path):
    log = tmp_path / "server.log"
    with (
        log.open("w") as output,
        running_server(
            output,
            DIGITPAD_WORKERS="2",
            PROMETHEUS_MULTIPROC_DIR=str(full_filesystem),
            DIGITPAD_LOG_LEVEL="error",
        ) as server,
    ):
        png = {"content-type": "image/png"}
        statuses = [
            httpx.post(f"{server.url}/predict", content=SEVEN, headers=png).status_code for _ in range(40)
        ]
        assert server.process.poll() is None
    assert statuses == [200] * 40
    assert "metrics off in this worker" in log.read_text()
    assert "SIGBUS" not in log.read_text() and "Worker (pid" not in log.read_text()
