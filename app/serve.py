"""`digitpad-serve`: runs uvicorn with the host, port, workers and log level from settings.

Several workers on Linux each get a listening socket of their own on the same port
(SO_REUSEPORT), so the kernel spreads connections over them. With uvicorn's shared
socket, whichever worker wakes first accepts every pending connection: eight
keep-alive clients arriving together all land on one worker while the others idle.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app import metrics
from app.settings import Settings, SettingsError, get_settings

log = logging.getLogger("digitpad")
APP = "app.main:app"
STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start


class HeadTooLarge(Exception):
    pass


class HeadLimitsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the two limits it lacks for the request head.

    It has no deadline for the head (its keep-alive timer only runs between
    requests), so a client that trickles a header a byte at a time, or connects and
    says nothing, holds the connection for ever; and it has no limit on the size of
    the head. Here the head must be complete `header_timeout_s` after the connection
    opens or the request begins, and at most `max_header_bytes` long (else 431).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.head_timeout = settings.header_timeout_s
        self.max_head_bytes = settings.max_header_bytes
        self.head_timer: asyncio.TimerHandle | None = None
        # Two measures of the head so far, as the parser reports only whole lines of it:
        # the URL and the header lines it has parsed, and the bytes received while the
        # head was unfinished (which it holds, however long the line it is reading).
        self.head_parsed = 0
        self.head_pending = 0

    def _start_head_timer(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _count_head(self, size: int) -> None:
        self.head_parsed += size
        if self.head_parsed > self.max_head_bytes:
            raise HeadTooLarge  # stops the parser, and uvicorn calls send_400_response

    def _refuse_head(self) -> None:
        detail = f"request head is over the limit of {self.max_head_bytes} bytes"
        body = json.dumps({"detail": detail, "code": "head_too_large"}).encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_parsed = self.head_pending = 0
        self._start_head_timer()

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.head_timer is not None and not self.transport.is_closing():  # the head is unfinished
            self.head_pending += len(data)
            if self.head_pending > self.max_head_bytes:
                self._refuse_head()

    def send_400_response(self, msg: str) -> None:
        if self.head_parsed > self.max_head_bytes:  # the parser error is HeadTooLarge
            return self._refuse_head()
        super().send_400_response(msg)


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _options(settings: Settings) -> dict:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,  # app.middleware logs one line per request, with its latency
        "http": HeadLimitsProtocol,
        "timeout_keep_alive": settings.keep_alive_s,
    }


def _worker() -> None:
    """One worker process, listening on its own socket."""
    settings = get_settings()
    _configure_logging(settings)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", settings.host, settings.port, exc)
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(uvicorn.Config(APP, **_options(settings))).run(sockets=[sock])


def _supervise(workers: int) -> int:
    """Keeps `workers` worker processes running until SIGINT or SIGTERM; the exit status."""
    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    processes = [spawn.Process(target=_worker) for _ in range(workers)]
    for process in processes:
        process.start()
    status = 0
    while not stopping.wait(0.5):
        for i, process in enumerate(processes):
            if process.is_alive():
                continue
            if process.exitcode == STARTUP_FAILURE:  # would fail again: give up
                status = STARTUP_FAILURE
                stopping.set()
                break
            log.warning("worker %d exited with %s; starting another", process.pid, process.exitcode)
            processes[i] = spawn.Process(target=_worker)
            processes[i].start()
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
    return status


def _model_missing(settings: Settings) -> str | None:
    missing = [name for name in ("digitpad.tflite", "model_card.json") if not (settings.model_dir / name).is_file()]
    if settings.require_model and settings.backend == "litert" and missing:
        return (f"no model in {settings.model_dir} (missing {', '.join(missing)}): train one (make train), "
                "set DIGITPAD_MODEL_DIR, or set DIGITPAD_REQUIRE_MODEL=false to start without one")
    return None


def main() -> int:
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"digitpad-serve: invalid setting: {exc}", file=sys.stderr)
        return 2
    problem = _model_missing(settings)
    if problem:
        print(f"digitpad-serve: {problem}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    if settings.workers > 1 or metrics.MULTIPROCESS_DIR in os.environ:
        with metrics.multiprocess_folder():  # several processes: each counts in files that /metrics adds up
            return _serve(settings)
    return _serve(settings)


def _serve(settings: Settings) -> int:
    if settings.workers > 1 and sys.platform == "linux":
        return _supervise(settings.workers)
    uvicorn.run(APP, workers=settings.workers, **_options(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
