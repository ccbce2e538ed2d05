"""`digitpad-serve`: runs uvicorn with the host, port, workers and log level from settings.

Several workers run under gunicorn, each with a listening socket of its own on the
same port (gunicorn's reuse_port: SO_REUSEPORT, bound in each worker), so the kernel
spreads connections over them. With one shared socket (uvicorn's own workers, or
gunicorn without reuse_port), whichever worker wakes first accepts every pending
connection: of eight keep-alive clients arriving together, one worker mostly got all
or all but one while the other idled (benchmarks/workers.py).
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import socket
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import ClassVar

import uvicorn
from gunicorn.app.base import BaseApplication
from PIL import Image
from uvicorn.importer import import_from_string
from uvicorn_worker import UvicornWorker

from app.core.classifier import Classifier
from app.settings import Settings, SettingsError, environment_variable, get_settings
from app.web.protocol import HttpProtocol

log = logging.getLogger("digitpad")
# A factory, imported by the process that serves: a worker imports the app (and
# prometheus-client with it) after the fork, once PROMETHEUS_MULTIPROC_DIR is set.
APP_FACTORY = "app.web.main:create_app"
STARTUP_FAILURE = 3  # uvicorn's and gunicorn's exit code for a worker that could not start
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # as app.web.metrics reads it
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """SIGTERM to this process when its parent dies (Linux's PR_SET_PDEATHSIG)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            log.warning("workers will not die with their master: prctl failed (errno %d)", ctypes.get_errno())


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # decode() refuses over-limit images itself (413): Pillow's warning of a large image is only noise.
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    # Personal readings keep a model's intermediate tensors (app.core.inference): ~1 MB, not a problem.
    warnings.filterwarnings("ignore", message=".*experimental_preserve_all_tensors", category=UserWarning)


def _options(settings: Settings) -> dict:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,  # app.web.middleware logs one line per request, with its latency
        "http": HttpProtocol.limited(settings.header_timeout_s, settings.max_header_bytes),
        "timeout_keep_alive": settings.keep_alive_s,
    }


class Worker(UvicornWorker):
    """A gunicorn worker that runs uvicorn as a single-process digitpad-serve does."""

    CONFIG_KWARGS: ClassVar[dict] = {"loop": "auto", "http": HttpProtocol, "access_log": False}

    def init_process(self) -> None:
        # A worker whose master is killed (SIGKILL: no chance to stop its workers) would
        # keep serving beside a new instance on the same port: it dies with its master.
        die_with_parent()
        if os.getppid() != self.ppid:  # the master died before the line above
            sys.exit(STARTUP_FAILURE)
        super().init_process()


def _worker_for(settings: Settings) -> type[Worker]:
    """The worker, its protocol given the settings' limits on the request head."""
    http = HttpProtocol.limited(settings.header_timeout_s, settings.max_header_bytes)
    return type(Worker.__name__, (Worker,), {"CONFIG_KWARGS": {**Worker.CONFIG_KWARGS, "http": http}})


def _forget_worker(server: object, worker: UvicornWorker) -> None:
    """A dead worker's live gauges go with it (its counters stay: they are history)."""
    from prometheus_client import multiprocess  # only now: a worker imports it after the fork

    multiprocess.mark_process_dead(worker.pid)


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
            "worker_class": _worker_for(self.settings),
            "reuse_port": True,  # a socket per worker, bound in the worker: the kernel spreads connections
            "keepalive": self.settings.keep_alive_s,
            "loglevel": self.settings.log_level,
            "child_exit": _forget_worker,
            "control_socket_disable": True,  # gunicornc's socket, in $HOME: not needed, and HOME may be read-only
        }
        for name, value in options.items():
            self.cfg.set(name, value)

    def load(self):
        return import_from_string(APP_FACTORY)()


def _can_listen(settings: Settings) -> bool:
    """Whether the server's sockets can bind the port (with SO_REUSEPORT for several
    workers, as each binds its own); gunicorn's workers would retry for ever."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As uvicorn and gunicorn bind theirs: connections closed by the last run, waiting
        # out TIME_WAIT for a minute, do not keep a restart from the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if settings.workers > 1:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((settings.host, settings.port))
        except OSError as exc:
            log.error(
                "cannot listen on %s:%d: %s; choose another port with --port or %s, or another address "
                "with --host or DIGITPAD_HOST",
                settings.host,
                settings.port,
                exc.strerror or exc,
                environment_variable("port"),
            )
            return False
    return True


def _run_workers(settings: Settings) -> int:
    """Keeps `settings.workers` worker processes running until SIGINT or SIGTERM; the exit status."""
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


def _model_problem(settings: Settings) -> str | None:
    """What keeps the models the settings list from loading, in one line; None if nothing.
    Each is loaded here once: a corrupt file stops the start as a missing one does."""
    if not settings.require_model:
        return None
    missing, broken = [], []
    for name, folder in settings.model_folders().items():
        card = folder / "model_card.json"
        if not card.is_file():
            missing.append(str(card))
            continue
        try:
            Classifier.load(name, folder, settings.backend)
        except FileNotFoundError as exc:
            missing.append(str(exc.filename or folder))
        except Exception as exc:
            broken.append(f"{name} in {folder}: {' '.join(str(exc).split())[:200]}")
    if broken:
        return f"models that cannot be loaded ({'; '.join(broken)}): train them again or restore their files"
    if missing:
        return (
            f"models missing ({', '.join(missing)}): train them (make train, make train-fashion, make "
            "train-dense), set DIGITPAD_MODEL_DIR or DIGITPAD_MODELS, or set DIGITPAD_REQUIRE_MODEL=false "
            "to start without them"
        )
    return None


def _data_problem(settings: Settings) -> str | None:
    """Why the data folder, where the examples' SQLite database is made, cannot be written;
    None if it can, or when the examples are in PostgreSQL (nothing else is written there)."""
    if settings.database_url is not None:
        return None
    folder, variable = settings.data_dir, environment_variable("data_dir")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot make the data folder {folder} ({variable}): {exc.strerror or exc}"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write in the data folder {folder} ({variable}): give the service's user write access"
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; each flag overrides its environment variable."""
    parser = argparse.ArgumentParser(
        prog="digitpad-serve",
        description="Serve digitpad: the drawing pad at /, the API documented at /docs. Every setting is also an "
        "environment variable (DIGITPAD_...: see the README); a flag wins over its variable.",
    )
    parser.add_argument("--host", help="address to listen on (DIGITPAD_HOST; default 127.0.0.1)")
    parser.add_argument("--port", help="port to listen on (DIGITPAD_PORT or PORT; default 8000)")
    parser.add_argument(
        "--workers", help="worker processes (DIGITPAD_WORKERS; default: one per core, at most 4)"
    )
    parser.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="DIGITPAD_LOG_LEVEL; default info",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Through the environment, so that the app and every worker process see them too.
    for name in ("host", "port", "workers", "log_level"):
        value = getattr(args, name)
        if value is not None:
            os.environ[f"DIGITPAD_{name.upper()}"] = str(value)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"digitpad-serve: invalid setting: {exc}", file=sys.stderr)
        return 2
    problem = _data_problem(settings) or _model_problem(settings)
    if problem:
        print(f"digitpad-serve: {problem}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    several = settings.workers > 1 or MULTIPROCESS_DIR in os.environ
    with _metrics_folder() if several else nullcontext():  # each process counts in files /metrics adds up
        if not _can_listen(settings):
            return STARTUP_FAILURE
        if settings.workers > 1:
            return _run_workers(settings)
        uvicorn.run(APP_FACTORY, factory=True, **_options(settings))
        return 0


if __name__ == "__main__":
    sys.exit(main())
