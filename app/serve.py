"""`digitpad-serve`: runs uvicorn with the host, port, workers and log level from settings.

Several workers run under gunicorn, each with a listening socket of its own on the
same port (gunicorn's reuse_port: SO_REUSEPORT, bound in each worker), so the kernel
spreads connections over them. With one shared socket (uvicorn's own workers, or
gunicorn without reuse_port), whichever worker wakes first accepts every pending
connection: of eight keep-alive clients arriving together, one worker mostly got all
or all but one while the other idled (benchmarks/workers.py).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import ClassVar

import uvicorn
from gunicorn.app.base import BaseApplication
from uvicorn.importer import import_from_string
from uvicorn_worker import UvicornWorker

from app.core.card import ModelCard
from app.settings import Settings, SettingsError, get_settings
from app.web.head_limits import HeadLimitsProtocol

log = logging.getLogger("digitpad")
APP = "app.web.main:app"
STARTUP_FAILURE = 3  # uvicorn's and gunicorn's exit code for a worker that could not start
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # as app.web.metrics reads it


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _options(settings: Settings) -> dict:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,  # app.web.middleware logs one line per request, with its latency
        "http": HeadLimitsProtocol,
        "timeout_keep_alive": settings.keep_alive_s,
    }


class Worker(UvicornWorker):
    """A gunicorn worker that runs uvicorn as a single-process digitpad-serve does."""

    CONFIG_KWARGS: ClassVar[dict] = {"loop": "auto", "http": HeadLimitsProtocol, "access_log": False}


class Workers(BaseApplication):
    """gunicorn's master, configured from the settings rather than its command line."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        options = {
            "bind": [f"{host}:{self.settings.port}"],
            "workers": self.settings.workers,
            "worker_class": Worker,
            "reuse_port": True,  # a socket per worker, bound in the worker: the kernel spreads connections
            "keepalive": self.settings.keep_alive_s,
            "loglevel": self.settings.log_level,
            "control_socket_disable": True,  # gunicornc's socket, in $HOME: not needed, and HOME may be read-only
        }
        for name, value in options.items():
            self.cfg.set(name, value)

    def load(self):
        return import_from_string(APP)


def _can_listen(settings: Settings) -> bool:
    """Whether a worker's socket can bind the port; gunicorn's workers would retry for ever."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((settings.host, settings.port))
        except OSError as exc:
            log.error("cannot listen on %s:%d: %s", settings.host, settings.port, exc)
            return False
    return True


def _run_workers(settings: Settings) -> int:
    """Keeps `settings.workers` worker processes running until SIGINT or SIGTERM; the exit status."""
    if not _can_listen(settings):
        return STARTUP_FAILURE
    try:
        Workers(settings).run()
    except SystemExit as stop:  # how gunicorn's master ends, with its status
        return int(stop.code or 0)
    return 0


@contextmanager
def _metrics_folder() -> Iterator[None]:
    """A folder for the workers' metric files (prometheus-client's multiprocess mode),
    named in PROMETHEUS_MULTIPROC_DIR for as long as they run: the variable's own folder
    if set, emptied first (values left from an earlier run would be added to this
    one's), else a temporary one. prometheus-client reads the variable when it is
    imported, in each worker after the fork: this module must not import it."""
    folder = os.environ.get(MULTIPROCESS_DIR)
    if folder:
        for leftover in Path(folder).glob("*.db"):
            leftover.unlink()
        yield
        return
    with tempfile.TemporaryDirectory(prefix="digitpad-metrics-") as folder:
        os.environ[MULTIPROCESS_DIR] = folder
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIR]


def _model_missing(settings: Settings) -> str | None:
    """What is missing of the models the settings list, in one line; None if nothing."""
    if not settings.require_model or settings.backend != "litert":
        return None
    missing = []
    for name in settings.models:
        folder = settings.model_folder(name)
        try:
            model = folder / f"{ModelCard.read(folder / 'model_card.json').name}.tflite"
        except (OSError, ValueError):
            missing.append(str(folder / "model_card.json"))
            continue
        if not model.is_file():
            missing.append(str(model))
    if not missing:
        return None
    return (f"models missing ({', '.join(missing)}): train them (make train, make train-fashion), set "
            "DIGITPAD_MODEL_DIR or DIGITPAD_MODELS, or set DIGITPAD_REQUIRE_MODEL=false to start without them")


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
    several = settings.workers > 1 or MULTIPROCESS_DIR in os.environ
    with _metrics_folder() if several else nullcontext():  # each process counts in files /metrics adds up
        if settings.workers > 1:
            return _run_workers(settings)
        uvicorn.run(APP, **_options(settings))
        return 0


if __name__ == "__main__":
    sys.exit(main())
