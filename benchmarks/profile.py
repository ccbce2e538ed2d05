"""Where a request's time goes: `POST /predict` of the page's PNG under load, sampled by
py-spy in every worker, as a flame graph and a table by part of the path.

    python -m benchmarks.profile                        # writes docs/flame-predict.svg (~1 min)
    python -m benchmarks.profile --concurrency 1 --out /tmp/flame.svg

`digitpad-serve` runs with its defaults. First a run without the profiler gives the CPU
(of the whole process tree, from /proc) per request; then py-spy samples each thread that
is on a CPU, and each sample is put down to the innermost part of the path it is in.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.peers import cpu_seconds, tree
from support import loadgen
from support.paths import ROOT
from support.servers import CANVAS, running_server

# The innermost frame that matches names the part (file or function names, in py-spy's stacks).
PARTS = (
    ("LiteRT", ("inference.py",)),
    ("PNG decode", ("decode.py", "ImageFile.py", "PngImagePlugin.py")),
    ("preprocessing", ("preprocess.py", "paper.py")),
    ("the answer (probabilities, not a digit, sure)", ("classifier.py",)),
    ("log line", ("logging/__init__.py",)),
    ("metrics", ("metrics.py", "prometheus_client")),
    ("thread pool hand-off", ("thread.py", "threading.py")),
)
REST = "HTTP, ASGI middleware, FastAPI, JSON"


def part(stack: str) -> str:
    for frame in reversed(stack.split(";")):
        for name, markers in PARTS:
            if any(marker in frame for marker in markers):
                return name
    return REST


def cpu_per_request(port: int, pid: int, request: bytes, total: int, concurrency: int) -> float:
    pids = tree(pid)
    before = {p: cpu_seconds(p) for p in pids}
    loadgen.run("127.0.0.1", port, [request], total, concurrency)
    used = sum(cpu_seconds(p) - before.get(p, 0.0) for p in tree(pid))
    return 1000 * used / total


def record(pid: int, seconds: int, form: str, out: Path) -> subprocess.Popen:
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    sampling = ["--rate", "200", "--duration", str(seconds), "--format", form, "--output", str(out)]
    return subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--subprocesses", "--threads", "--nonblocking", *sampling],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000, help="for each of the three runs")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10, help="py-spy's sampling, each run")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "flame-predict.svg")
    args = parser.parse_args(argv)
    request = loadgen.build_request("/predict", CANVAS.read_bytes(), "image/png")
    with (
        tempfile.TemporaryDirectory() as folder,
        open(os.devnull, "w") as quiet,
        running_server(quiet, workers=None, DIGITPAD_LOG_LEVEL="info") as server,
    ):
        time.sleep(2)  # every worker listening
        loadgen.run("127.0.0.1", server.port, [request], 300, args.concurrency)
        cpu = cpu_per_request(server.port, server.process.pid, request, args.requests, args.concurrency)
        stacks = Counter[str]()
        for form, out in (("raw", Path(folder) / "stacks.txt"), ("flamegraph", args.out)):
            spy = record(server.process.pid, args.seconds, form, out)
            time.sleep(1)
            deadline = time.monotonic() + args.seconds - 1.5
            while time.monotonic() < deadline:
                loadgen.run("127.0.0.1", server.port, [request], 200, args.concurrency)
            spy.wait()
            if form == "raw":
                for line in out.read_text().splitlines():
                    stack, _, count = line.rpartition(" ")
                    stacks[part(stack)] += int(count)
    total = sum(stacks.values())
    print(
        f"POST /predict, the page's PNG, concurrency {args.concurrency}, digitpad-serve's defaults: "
        f"{cpu:.2f} ms of CPU a request; py-spy: {total} samples on a CPU; flame graph: {args.out}\n"
    )
    print("| part of the path | share of samples | ms of CPU a request |\n|---|---|---|")
    for name, count in stacks.most_common():
        print(f"| {name} | {count / total:.0%} | {cpu * count / total:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
