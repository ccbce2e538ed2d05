"""Prometheus metrics, served at GET /metrics: requests by route, method and status, their
latency, and the answers given, by model, model version and answer.

The names and labels of the HTTP metrics are those of prometheus-fastapi-instrumentator
(`http_requests_total`, `http_request_duration_seconds`, labelled by `handler`), so its
dashboards work unchanged. With several worker processes, each writes its values to files
in PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode, which app.serve sets
up) and a scrape, whichever worker answers it, adds them all up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

if TYPE_CHECKING:
    from app.core.classifier import Classification

disable_created_metrics()  # the *_created series double the exposition and no dashboard reads them

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
NOT_A_DIGIT = "not_a_digit"
UNMATCHED = "none"
# Label values from a closed set: a client cannot create series with made-up methods.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
OTHER_METHOD = "other"  # the handler of a request no route matched: one label, whatever the path
# The service answers in about 2 ms; a large photo takes 100 ms or more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["handler", "method", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["handler", "method"],
    buckets=LATENCY_BUCKETS,
)
PREDICTIONS = Counter(
    "digitpad_predictions_total", "Images read, by the answer given", ["model", "version", "answer"]
)
MODEL_INFO = Gauge(
    "digitpad_model_info",
    "The model served (value 1), by name and version",
    ["model", "version"],
    multiprocess_mode="max",
)


def record_request(handler: str | None, method: str, status: int, seconds: float) -> None:
    handler = handler or UNMATCHED
    method = method if method in METHODS else OTHER_METHOD
    REQUESTS.labels(handler, method, str(status)).inc()
    LATENCY.labels(handler, method).observe(seconds)


def record_model(model: str, version: str) -> None:
    MODEL_INFO.labels(model, version).set(1)


def record_answers(model: str, version: str, results: Iterable[Classification]) -> None:
    """One count per image: its label (a digit, a class name), or not_a_digit."""
    for result in results:
        PREDICTIONS.labels(model, version, NOT_A_DIGIT if result.is_digit is False else result.label).inc()


def exposition() -> bytes:
    """The metrics in Prometheus' text format: this process's, or every worker's."""
    if MULTIPROCESS_DIR not in os.environ:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)
