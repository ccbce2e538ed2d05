"""Two worker processes on one machine: how evenly each process manager spreads
keep-alive clients over its workers, and the throughput that gives (127.0.0.1).

    python -m benchmarks.workers              # about two minutes on 2 cores

Every configuration runs at once, each on its own port, and the measurements take
turns (round after round), so a slow phase of the machine hits them all alike. For
each measurement, fresh keep-alive connections, the page's PNG to /predict; per
worker, the most connections it held at once and the CPU time it used.
Figures, not pass/fail. ("digitpad-serve" runs gunicorn with reuse_port since this was measured.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from support import loadgen
from support.servers import CANVAS, free_port, start

WORKERS = 2


@dataclass
class Configuration:
    name: str
    command: list[str]  # "{port}" stands for the port
    listeners: int  # listening sockets once every worker is up: one each, or one shared
    env: dict[str, str] = field(default_factory=dict)


def configurations() -> list[Configuration]:
    python = sys.executable
    gunicorn = [
        python,
        "-m",
        "gunicorn",
        "app.web.main:create_app()",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "--workers",
        str(WORKERS),
        "--bind",
        "127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    return [
        Configuration(
            "digitpad-serve", [python, "-m", "app.cli.serve"], WORKERS, {"DIGITPAD_WORKERS": str(WORKERS)}
        ),
        Configuration(
            "uvicorn --workers 2",
            [
                python,
                "-m",
                "uvicorn",
                "app.web.main:create_app",
                "--factory",
                "--workers",
                str(WORKERS),
                "--port",
                "{port}",
                "--http",
                "app.cli.serve:HttpProtocol",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            1,
        ),
        Configuration("gunicorn + UvicornWorker", gunicorn, 1),
        Configuration("gunicorn + UvicornWorker --reuse-port", [*gunicorn, "--reuse-port"], WORKERS),
    ]


def descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            children = [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except FileNotFoundError:
            continue
        found += children
        pending += children
    return found


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except FileNotFoundError:
        pass
    return inodes


def listening_inodes(port: int) -> set[int]:
    """Inodes of the IPv4 sockets listening on `port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
            inodes.add(int(fields[9]))
    return inodes


def unix_inodes() -> set[int]:
    return {int(line.split()[6]) for line in Path("/proc/net/unix").read_text().splitlines()[1:]}


def workers_of(process: subprocess.Popen, port: int) -> list[int]:
    """The processes below the one started that listen on the port (not the manager itself,
    which keeps the shared socket open too)."""
    listening = listening_inodes(port)
    return sorted(pid for pid in descendants(process.pid) if socket_inodes(pid) & listening)


def connections_of(pid: int, listening: set[int], unix: set[int]) -> int:
    """A worker's open client connections: its sockets other than listening and Unix ones.
    (/proc/net/tcp is not read atomically: under load it skips some sockets.)"""
    return len(socket_inodes(pid) - listening - unix)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Measurement:
    throughput: float
    p99_ms: float
    connections: list[int]  # per worker, most first
    cpu_share: float  # the busiest worker's share of the workers' CPU time
    errors: int


def measure(
    port: int, workers: list[int], requests: list[bytes], total: int, concurrency: int
) -> Measurement:
    # Sampled along the way, the most each worker held: a client whose worker serves it
    # alone finishes its share early and closes its connection.
    connections = dict.fromkeys(workers, 0)

    def sample(result: loadgen.Result) -> None:
        if result.requests % max(1, total // 16) == 0:
            listening, unix = listening_inodes(port), unix_inodes()
            for pid in workers:
                connections[pid] = max(connections[pid], connections_of(pid, listening, unix))

    before = {pid: cpu_seconds(pid) for pid in workers}
    result = loadgen.run("127.0.0.1", port, requests, total, concurrency, on_done=sample)
    used = [cpu_seconds(pid) - before[pid] for pid in workers]
    errors = result.connection_errors + sum(n for status, n in result.statuses.items() if status != 200)
    return Measurement(
        result.throughput,
        result.percentile_ms(99),
        sorted(connections.values(), reverse=True),
        max(used) / sum(used),
        errors,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    args = parser.parse_args(argv)

    requests = [loadgen.build_request("/predict", CANVAS.read_bytes(), "image/png")]
    env = {"DIGITPAD_LOG_LEVEL": "warning", "TF_CPP_MIN_LOG_LEVEL": "3"}
    running = []
    try:
        for config in configurations():
            port = free_port()
            command = [part.format(port=port) for part in config.command]
            process, _ = start(
                command, port, {**env, **config.env, "DIGITPAD_PORT": str(port)}, config.listeners
            )
            running.append((config, port, process))
        time.sleep(3)  # behind a shared socket, the first worker up answers; let the others load their model
        for config, port, process in running:
            workers = workers_of(process, port)
            assert len(workers) == WORKERS, f"{config.name}: workers {workers}"
            loadgen.run("127.0.0.1", port, requests, 400, 8)  # warm-up
        results: dict[tuple[str, int], list[Measurement]] = {}
        for round_ in range(args.rounds):
            for concurrency in args.concurrency:
                for config, port, process in running:
                    m = measure(port, workers_of(process, port), requests, args.requests, concurrency)
                    results.setdefault((config.name, concurrency), []).append(m)
                    print(
                        f"round {round_ + 1}, {config.name}, concurrency {concurrency}: {m.throughput:.0f}/s, "
                        f"connections {'/'.join(map(str, m.connections))}, busiest worker "
                        f"{m.cpu_share:.0%} of CPU, errors {m.errors}",
                        flush=True,
                    )
    finally:
        for _, _, process in running:
            process.terminate()
            process.wait(timeout=30)

    print(
        f"\n{WORKERS} workers, {args.rounds} rounds of {args.requests} requests, /predict with the page's PNG\n"
    )
    print(
        "| manager | concurrency | requests/s, median (min-max) | p99 ms, median | connections per worker, "
        "each round | busiest worker's CPU share, median | errors |"
    )
    print("|---|---|---|---|---|---|---|")
    for (name, concurrency), ms in results.items():
        rates = [m.throughput for m in ms]
        splits = ", ".join("/".join(map(str, m.connections)) for m in ms)
        print(
            f"| {name} | {concurrency} | {statistics.median(rates):.0f} ({min(rates):.0f}-{max(rates):.0f}) | "
            f"{statistics.median(m.p99_ms for m in ms):.1f} | {splits} | "
            f"{statistics.median(m.cpu_share for m in ms):.0%} | {sum(m.errors for m in ms)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
