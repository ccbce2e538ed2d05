"""Peers: the same model, with the same decoding and preprocessing (app.core), served by
digitpad and by other model servers, each configured as its documentation shows for a
simple model (its defaults), measured by the same client on 127.0.0.1.

    python -m benchmarks.peers                   # installs first (~5 min, 2.6 GB); then ~12 min on 2 cores
    python -m benchmarks.peers --only kserve,mlserver --rounds 1 --requests 200

Each peer runs from its own virtual environment in .peers/<name>/, made (python3.11 -m
venv, pip install from PyPI) where missing; its server script is in benchmarks/peers/.
The request is the page's canvas PNG (support/canvas-seven.png) in each framework's
natural encoding; every answer must say 7 (anything else counts as wrong).

Rounds are interleaved: in each, every peer in turn is started (cold start: seconds to its
first right answer), warmed up, measured, and stopped, so no idle server shares the two
cores with the measured one. Per peer and round: p50 and p99 at concurrency 1, requests/s
at concurrency 8, the CPU time of the server's whole process tree per request over that
run (utime+stime from /proc, before and after), and the tree's resident memory after it.
The table gives each figure's median and, in brackets, its range over the rounds.
Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from benchmarks.peers import clients
from support import loadgen
from support.paths import ROOT
from support.servers import CANVAS, free_port

HERE = ROOT / "benchmarks" / "peers"
VENVS = ROOT / ".peers"
HOST = "127.0.0.1"
# What every peer's environment needs besides its framework: what app.core imports.
COMMON = ("numpy", "pillow", "scipy", "pydantic", "ai-edge-litert", "pyspng")
START_TIMEOUT_S = 300  # BentoML and Gradio import for a long while on 2 busy cores
RUN_DEADLINE_S = 600  # one measurement, at most: a server that stops answering ends it
WARM_UP = 100


class Ports(NamedTuple):
    http: int
    grpc: int  # KServe and MLServer start a gRPC server too
    metrics: int  # MLServer serves its metrics on a port of their own


@dataclass(frozen=True)
class Peer:
    name: str  # for --only
    title: str
    distribution: str  # whose version the table gives
    command: Callable[[Path, Ports], list[str]]  # from the bin folder of its environment
    client: Callable[[bytes], clients.Client]
    configured: str  # one line for the README
    packages: tuple[str, ...] = ()  # its framework, into .peers/<name>/; none: the repository's environment
    env: Callable[[Ports], dict[str, str]] = lambda ports: {}
    cwd: Path = ROOT


PEERS = (
    Peer(
        "digitpad",
        "digitpad POST /predict",
        "digitpad",
        lambda bin, ports: [str(bin / "python"), "-m", "app.cli.serve"],
        clients.digitpad,
        "`digitpad-serve` with its defaults (a worker per core: 2 here, under gunicorn), only the port set",
        env=lambda ports: {"DIGITPAD_PORT": str(ports.http)},
    ),
    Peer(
        "digitpad-oip",
        "digitpad OIP infer",
        "digitpad",
        lambda bin, ports: [str(bin / "python"), "-m", "app.cli.serve"],
        clients.oip,
        "the same `digitpad-serve`, asked through its Open Inference Protocol route",
        env=lambda ports: {"DIGITPAD_PORT": str(ports.http)},
    ),
    Peer(
        "kserve",
        "KServe",
        "kserve",
        lambda bin, ports: [
            str(bin / "python"),
            str(HERE / "kserve_server.py"),
            f"--http_port={ports.http}",
            f"--grpc_port={ports.grpc}",
        ],
        clients.oip,
        "`kserve.Model` subclass (sync `predict` on `InferRequest`), `ModelServer().start([model])`; "
        "defaults: one worker, gRPC on, latency logging on",
        packages=("kserve",),
    ),
    Peer(
        "mlserver",
        "MLServer",
        "mlserver",
        lambda bin, ports: [str(bin / "mlserver"), "start", str(HERE / "mlserver")],
        clients.oip,
        "`MLModel` subclass named in model-settings.json (input content type base64), `mlserver start`; "
        "defaults: one inference worker process beside the server's, gRPC and metrics servers on; "
        "uvloop held below 0.22 (MLServer 1.7's workers fail on 0.22, SeldonIO/MLServer#2286)",
        packages=("mlserver", "uvloop<0.22"),
        env=lambda ports: {
            "MLSERVER_HTTP_PORT": str(ports.http),
            "MLSERVER_GRPC_PORT": str(ports.grpc),
            "MLSERVER_METRICS_PORT": str(ports.metrics),
        },
    ),
    Peer(
        "litserve",
        "LitServe",
        "litserve",
        lambda bin, ports: [str(bin / "python"), str(HERE / "litserve_server.py"), str(ports.http)],
        clients.litserve,
        "`LitAPI` (setup, decode_request, predict, encode_response), `LitServer(api, accelerator='auto')"
        ".run(port=...)`; defaults: one inference worker process, the API server in another",
        packages=("litserve",),
    ),
    Peer(
        "bentoml",
        "BentoML",
        "bentoml",
        lambda bin, ports: [
            str(bin / "bentoml"),
            "serve",
            "bentoml_service:Digits",
            "--port",
            str(ports.http),
        ],
        clients.bentoml,
        "`@bentoml.service` class, sync `@bentoml.api` taking the file as its root input, `bentoml serve`; "
        "defaults: one worker under BentoML's process manager; usage tracking off (no network here)",
        packages=("bentoml",),
        env=lambda ports: {"BENTOML_DO_NOT_TRACK": "True"},
        cwd=HERE,
    ),
    Peer(
        "gradio",
        "Gradio",
        "gradio",
        lambda bin, ports: [str(bin / "python"), str(HERE / "gradio_app.py")],
        clients.gradio,
        "`gr.Interface(fn, gr.Image(type='filepath', image_mode=None), gr.Label())`, `launch()`; "
        "defaults: one process, the queue running one call at a time; analytics off (no network here)",
        packages=("gradio",),
        env=lambda ports: {"GRADIO_SERVER_PORT": str(ports.http), "GRADIO_ANALYTICS_ENABLED": "False"},
    ),
)


def venv(name: str, packages: tuple[str, ...], install: bool) -> Path | None:
    """The bin folder of .peers/<name>/ holding `packages`, made first where missing (when
    `install`)."""
    folder = VENVS / name
    marker = folder / "installed.txt"  # what was installed: a changed list installs again
    wanted = "\n".join(packages)
    if marker.is_file() and marker.read_text() == wanted:
        return folder / "bin"
    if not install:
        return None
    print(f"installing {', '.join(packages)} into {folder} ...", flush=True)
    python = shutil.which("python3.11") or sys.executable
    subprocess.run([python, "-m", "venv", str(folder)], check=True)
    subprocess.run([str(folder / "bin" / "pip"), "install", "--quiet", *packages], check=True)
    marker.write_text(wanted)
    return folder / "bin"


def environment(peer: Peer, install: bool) -> Path | None:
    """The bin folder of the peer's environment: the repository's own for digitpad."""
    if not peer.packages:
        return Path(sys.executable).parent
    return venv(peer.name, (*peer.packages, *COMMON), install)


def version(bin: Path, distribution: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    answer = subprocess.run([str(bin / "python"), "-c", code], capture_output=True, text=True)
    return answer.stdout.strip() or "?"


def tree(pid: int) -> list[int]:
    """A process and all its descendants, children of any of their threads."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # it ended meanwhile
            continue
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return total / 1024


@dataclass
class Figures:
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    rate: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    cold_s: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    errors: int = 0  # connection errors, statuses other than 200, and wrong answers
    failures: list[str] = field(default_factory=list)  # rounds that could not be measured, and why


def errors(result: loadgen.Result) -> int:
    return result.connection_errors + result.wrong + sum(n for s, n in result.statuses.items() if s != 200)


class Server(NamedTuple):
    process: subprocess.Popen
    port: int
    cold_s: float


def start(peer: Peer, bin: Path, client: clients.Client, log: Path) -> Server:
    """Starts the peer in a process group of its own; returns once it answers right."""
    ports = Ports(free_port(), free_port(), free_port())
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}", **peer.env(ports)}
    check = clients.is_seven(client)
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(
            peer.command(bin, ports),
            cwd=peer.cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, ports.http, 0.0)
    while time.perf_counter() - started < START_TIMEOUT_S:
        if process.poll() is not None:
            stop(server)  # what it started may outlive it
            raise RuntimeError(f"exited with {process.returncode} (see {log})")
        try:
            result = loadgen.run(HOST, ports.http, [client.request], 1, 1, None, client.follow, check, 10)
        except TimeoutError:
            result = loadgen.Result(seconds=0.0)
        if result.statuses.get(200) == 1 and not result.wrong:
            return server._replace(cold_s=time.perf_counter() - started)
        time.sleep(0.05)
    stop(server)
    raise TimeoutError(f"no right answer after {START_TIMEOUT_S} s (see {log})")


def stop(server: Server) -> None:
    """Ends the server's process group: its own processes, by the group's id."""
    group = server.process.pid
    try:
        os.killpg(group, signal.SIGTERM)
        server.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # workers may outlive the process that started them
            os.killpg(group, 0)
            time.sleep(0.1)
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        server.process.wait()


def measure(peer: Peer, bin: Path, canvas: bytes, requests: int, figures: Figures) -> str:
    client = peer.client(canvas)
    check = clients.is_seven(client)

    def run(total: int, concurrency: int) -> loadgen.Result:
        result = loadgen.run(
            HOST,
            server.port,
            [client.request],
            total,
            concurrency,
            None,
            client.follow,
            check,
            RUN_DEADLINE_S,
        )
        figures.errors += errors(result)
        return result

    server = start(peer, bin, client, VENVS / "logs" / f"{peer.name}.log")
    try:
        run(WARM_UP, 1)
        single = run(requests, 1)
        pids = tree(server.process.pid)
        before = {pid: cpu_seconds(pid) for pid in pids}
        several = run(requests, 8)
        pids = tree(server.process.pid)
        used = sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids)
        memory = rss_mb(pids)
    finally:
        stop(server)
    figures.cold_s.append(server.cold_s)
    figures.p50_ms.append(single.percentile_ms(50))
    figures.p99_ms.append(single.percentile_ms(99))
    figures.rate.append(several.throughput)
    figures.cpu_ms.append(1000 * used / max(several.requests, 1))
    figures.rss_mb.append(memory)
    return (
        f"cold {server.cold_s:.1f} s, p50 {figures.p50_ms[-1]:.2f} ms, p99 {figures.p99_ms[-1]:.2f} ms, "
        f"{several.throughput:.0f}/s at 8, {figures.cpu_ms[-1]:.2f} ms CPU a request, {memory:.0f} MB, "
        f"errors {figures.errors}"
    )


def spread(values: list[float], digits: int) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def table(rows: list[tuple[Peer, str, Figures]], canvas: bytes) -> str:
    lines = [
        "| server | request | p50 ms, c=1 | p99 ms, c=1 | requests/s, c=8 | server CPU ms a request, c=8 | "
        "cold start s | RSS MB | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for peer, release, f in rows:
        failed = f" ({len(f.failures)} rounds failed)" if f.failures else ""
        lines.append(
            f"| {peer.title} {release} | {peer.client(canvas).encoding} | {spread(f.p50_ms, 2)} | "
            f"{spread(f.p99_ms, 2)} | {spread(f.rate, 0)} | {spread(f.cpu_ms, 2)} | {spread(f.cold_s, 1)} | "
            f"{spread(f.rss_mb, 0)} | {f.errors}{failed} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each peer, interleaved")
    parser.add_argument("--requests", type=int, default=1000, help="per measurement, at c=1 and at c=8")
    parser.add_argument("--only", help="comma-separated: " + ",".join(p.name for p in PEERS))
    parser.add_argument("--skip-install", action="store_true", help="leave out peers not installed yet")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else [p.name for p in PEERS]
    unknown = set(chosen) - {p.name for p in PEERS}
    if unknown:
        parser.error(f"unknown peers: {', '.join(sorted(unknown))}")

    began = time.perf_counter()
    (VENVS / "logs").mkdir(parents=True, exist_ok=True)
    ready: list[tuple[Peer, Path, str]] = []
    for peer in (p for p in PEERS if p.name in chosen):
        bin = environment(peer, install=not args.skip_install)
        if bin is None:
            print(f"{peer.title}: not installed, left out (--skip-install)")
            continue
        ready.append((peer, bin, version(bin, peer.distribution)))
    installed = time.perf_counter()

    canvas = CANVAS.read_bytes()
    results = {peer.name: Figures() for peer, _, _ in ready}
    for round_ in range(1, args.rounds + 1):
        for peer, bin, _ in ready:
            figures = results[peer.name]
            try:
                print(
                    f"round {round_}, {peer.title}: {measure(peer, bin, canvas, args.requests, figures)}",
                    flush=True,
                )
            except (RuntimeError, TimeoutError, OSError) as error:
                figures.failures.append(str(error))
                print(f"round {round_}, {peer.title}: failed: {error}", flush=True)

    print(
        f"\n{args.rounds} rounds of {args.requests} requests at c=1 and at c=8 each, the page's canvas PNG "
        f"({len(canvas)} bytes); {os.cpu_count()} cores, client and server on the same machine; "
        f"measured in {time.perf_counter() - installed:.0f} s (installs {installed - began:.0f} s)\n"
    )
    print(table([(peer, release, results[peer.name]) for peer, _, release in ready], canvas))
    print("\nHow each peer is configured:")
    for peer, _, _ in ready:
        print(f"- {peer.title}: {peer.configured}")
    return 1 if any(f.failures for f in results.values()) else 0
