"""Prometheus metrics, served at GET /metrics: requests by route, method and status, their
latency, and the answers given, by model, model version and answer.

The names and labels of the HTTP metrics are those of prometheus-fastapi-instrumentator
(`http_requests_total`, `http_request_duration_seconds`, labelled by `handler`), so its
dashboards work unchanged. With several worker processes, each writes its values to files
in PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode, which app.cli.serve sets
up) and a scrape, whichever worker answers it, adds them all up.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ParamSpec

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
from prometheus_client import values as prometheus_values
from prometheus_client.mmap_dict import _INITIAL_MMAP_SIZE as INITIAL_MMAP_SIZE
from prometheus_client.mmap_dict import MmapedDict

if TYPE_CHECKING:
    from app.core.classifier import Classification

disable_created_metrics()  # the *_created series double the exposition and no dashboard reads them
log = logging.getLogger("digitpad")
P = ParamSpec("P")


class _ReservedMmapedDict(MmapedDict):
    """A worker's metrics file (multiprocess mode) whose blocks are reserved as it grows:
    on a full disk, prometheus-client's sparse file would fail at the first write to its
    mapping, as SIGBUS, which kills the worker; reserved, it fails here as an OSError."""

    def __init__(self, filename: str, read_mode: bool = False) -> None:
        if not read_mode:  # before the parent writes to its new mapping
            with open(filename, "a+b") as file:
                if os.fstat(file.fileno()).st_size == 0:
                    try:
                        os.posix_fallocate(file.fileno(), 0, INITIAL_MMAP_SIZE)
                    except OSError:
                        os.unlink(filename)  # an empty file would break every scrape
                        raise
        super().__init__(filename, read_mode)

    def _init_value(self, key: str) -> None:
        needed = self._used + len(key.encode()) + 32  # the key padded to 8 bytes, its length and value
        capacity = self._capacity
        while needed > capacity:
            capacity *= 2
        if capacity > self._capacity:
            os.posix_fallocate(self._f.fileno(), 0, capacity)
        super()._init_value(key)


prometheus_values.MmapedDict = _ReservedMmapedDict  # type: ignore[misc]


def _degrades(record: Callable[P, None]) -> Callable[P, None]:
    """A worker that cannot write its metrics (a full disk) logs it once and goes on serving
    without them, rather than failing requests or dying."""
    broken = False

    @functools.wraps(record)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        nonlocal broken
        if broken:
            return
        try:
            record(*args, **kwargs)
        except OSError as exc:
            broken = True
            log.error("metrics off in this worker: cannot write them (%s)", exc)

    return guarded


MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
NOT_A_DIGIT = "not_a_digit"
UNMATCHED = "none"  # the handler of a request no route matched: one label, whatever the path
# Label values from a closed set: a client cannot create series with made-up methods.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
OTHER_METHOD = "other"
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
EXAMPLES = Counter(
    "digitpad_examples_stored_total", "Examples people taught (example) or readings they corrected", ["kind"]
)
CORRECTIONS = Counter(
    "digitpad_corrections_total",
    "Readings people corrected, by what the model said and what they said it is",
    ["answer", "label"],
)
MODEL_INFO = Gauge(
    "digitpad_model_info",
    "The model served (value 1), by name and version",
    ["model", "version"],
    multiprocess_mode="max",
)


@_degrades
def record_request(handler: str | None, method: str, status: int, seconds: float) -> None:
    handler = handler or UNMATCHED
    method = method if method in METHODS else OTHER_METHOD
    REQUESTS.labels(handler, method, str(status)).inc()
    LATENCY.labels(handler, method).observe(seconds)


@_degrades
def record_model(model: str, version: str, replaces: str | None = None) -> None:
    MODEL_INFO.labels(model, version).set(1)
    if replaces is not None and replaces != version:
        MODEL_INFO.labels(model, replaces).set(0)


@_degrades
def record_answers(model: str, version: str, results: Iterable[Classification]) -> None:
    """One count per image: its label (a digit, a class name), or not_a_digit."""
    for result in results:
        PREDICTIONS.labels(model, version, NOT_A_DIGIT if result.is_digit is False else result.label).inc()


@_degrades
def record_example(kind: str, answer: str, label: str) -> None:
    EXAMPLES.labels(kind).inc()
    if kind == "correction":
        CORRECTIONS.labels(answer.replace(" ", "_"), label.replace(" ", "_")).inc()


def exposition() -> bytes:
    """The metrics in Prometheus' text format: this process's, or every worker's."""
    if MULTIPROCESS_DIR not in os.environ:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)
