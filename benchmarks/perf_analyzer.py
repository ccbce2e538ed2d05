"""Triton's own load generator, perf_analyzer, against digitpad's Open Inference Protocol.

    python -m benchmarks.perf_analyzer            # installs it first (~1 min, into .peers/perf_analyzer)
    python -m benchmarks.perf_analyzer --requests 500 --batches 1

perf_analyzer reads `GET /v2/models/digits` and `.../config` as it reads Triton's, and sends
the page's canvas PNG (support/canvas-seven.png) as `image_bytes`, one per batch row, in
binary tensor data. The server is `digitpad-serve` with its defaults. For each batch size:
requests at concurrency 1 and 8, images/s and latency percentiles as perf_analyzer prints
them (client side: the server's statistics extension is not served). It ships in
`tritonclient[all]` (2.50 runs on Debian 12's glibc) and needs Debian's `libb64-0d` and
CUDA's runtime library (a pip package) even on a machine without a GPU.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.peers import VENVS, venv
from support.servers import CANVAS, running_server

PACKAGES = ("tritonclient[all]==2.50.*", "nvidia-cuda-runtime-cu12")
CONCURRENCY = "1:8:7"  # 1, then 8


def binary_path(bin: Path) -> tuple[Path, dict[str, str]]:
    """The binary, and the environment that finds CUDA's runtime library in the venv."""
    runtime = next(bin.parent.glob("lib/python3*/site-packages/nvidia/cuda_runtime/lib"))
    library_path = os.pathsep.join(filter(None, [str(runtime), os.environ.get("LD_LIBRARY_PATH")]))
    return bin / "perf_analyzer", {**os.environ, "LD_LIBRARY_PATH": library_path}


def input_data(folder: Path) -> Path:
    """perf_analyzer's input file: a BYTES tensor's raw data is each element's 4-byte
    length, then its bytes, base64-encoded whole."""
    png = CANVAS.read_bytes()
    raw = len(png).to_bytes(4, "little") + png
    path = folder / "canvas.json"
    path.write_text(json.dumps({"data": [{"image_bytes": {"b64": base64.b64encode(raw).decode()}}]}))
    return path


def run(binary: Path, env: dict[str, str], port: int, data: Path, batch: int, requests: int) -> list[dict]:
    """perf_analyzer's rows: one per concurrency."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as report:
        command = [
            str(binary),
            "-m",
            "digits",
            "-u",
            f"127.0.0.1:{port}",
            "-i",
            "http",
            "--input-data",
            str(data),
            "-b",
            str(batch),
            "--concurrency-range",
            CONCURRENCY,
            # Windows of a fixed count: time windows on 2 shared cores rarely agree within 10%.
            "--measurement-mode",
            "count_windows",
            "--measurement-request-count",
            str(requests),
            "--stability-percentage",
            "25",
            "--max-trials",
            "6",
            "-f",
            report.name,
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode:
            raise RuntimeError(
                f"perf_analyzer failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr}"
            )
        with open(report.name) as rows:
            return list(csv.DictReader(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000, help="per measurement window")
    parser.add_argument("--batches", default="1,64", help="comma-separated batch sizes")
    args = parser.parse_args(argv)
    bin = venv("perf_analyzer", PACKAGES, install=True)
    assert bin is not None
    binary, env = binary_path(bin)
    linked = subprocess.run(["ldd", str(binary)], env=env, capture_output=True, text=True).stdout
    missing = [line.strip() for line in linked.splitlines() if "not found" in line]
    if missing:
        print(f"perf_analyzer lacks {missing} (libb64: apt-get install libb64-0d)", file=sys.stderr)
        return 2
    version = subprocess.run(
        [str(bin / "python"), "-c", "import importlib.metadata as m; print(m.version('tritonclient'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"perf_analyzer from tritonclient {version} ({VENVS / 'perf_analyzer'})")
    lines = [
        "| batch | concurrency | images/s | p50 ms | p90 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    with (
        tempfile.TemporaryDirectory() as folder,
        open(os.devnull, "w") as quiet,
        running_server(quiet, workers=None, DIGITPAD_LOG_LEVEL="info") as server,
    ):
        data = input_data(Path(folder))
        for batch in (int(b) for b in args.batches.split(",")):
            for row in run(binary, env, server.port, data, batch, args.requests):
                lines.append(
                    f"| {batch} | {row['Concurrency']} | {float(row['Inferences/Second']):.0f} | "
                    + " | ".join(f"{int(row[f'p{p} latency']) / 1000:.2f}" for p in (50, 90, 99))
                    + " |"
                )
                print(lines[-1], flush=True)
    print(
        f"\n`digitpad-serve` defaults, the page's canvas PNG ({CANVAS.stat().st_size} bytes); "
        f"{os.cpu_count()} cores, perf_analyzer and the server on the same machine\n"
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
