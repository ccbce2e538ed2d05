"""`digitpad-serve`: runs uvicorn with the host, port, workers and log level from settings.

Several workers on Linux each get a listening socket of their own on the same port
(SO_REUSEPORT), so the kernel spreads connections over them. With uvicorn's shared
socket, whichever worker wakes first accepts every pending connection: eight
keep-alive clients arriving together all land on one worker while the others idle.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading

import uvicorn

from app.settings import Settings, get_settings

log = logging.getLogger("digitpad")
APP = "app.main:app"
STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _options(settings: Settings) -> dict:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,  # app.middleware logs one line per request, with its latency
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


def main() -> int:
    settings = get_settings()
    _configure_logging(settings)
    if settings.workers > 1 and sys.platform == "linux":
        return _supervise(settings.workers)
    uvicorn.run(APP, workers=settings.workers, **_options(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
