"""Serving benchmark on 127.0.0.1: this service and the tutorial way of serving the
same model (benchmarks/tutorial_app.py), measured side by side in one run.

    python -m benchmarks.serving              # about two minutes on 2 cores

Prints cold start, memory, latency percentiles and throughput at concurrency 1, 8
and 32, for one and two worker processes. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import sys

from support import loadgen
from support.servers import CANVAS, PILLOW_PNG, process_tree_rss_mb, start


def row(name: str, result: loadgen.Result, concurrency: int) -> str:
    errors = result.connection_errors + sum(n for status, n in result.statuses.items() if status != 200)
    return (
        f"| {name} | {concurrency} | {result.requests} | {result.percentile_ms(50):.2f} | "
        f"{result.percentile_ms(99):.2f} | {result.throughput:.0f} | {errors} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000, help="per measurement of this service")
    parser.add_argument("--tutorial-requests", type=int, default=300, help="per measurement of the baseline")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)

    canvas = CANVAS.read_bytes()
    raw = [loadgen.build_request("/predict", canvas, "image/png")]
    multipart = [loadgen.multipart_request("/predict", "seven.png", canvas)]
    pillow = [loadgen.build_request("/predict", PILLOW_PNG, "image/png")]
    servers = {
        "digitpad, 1 worker": ([sys.executable, "-m", "app.cli.serve"], {"DIGITPAD_WORKERS": "1"}),
        "digitpad, 2 workers": ([sys.executable, "-m", "app.cli.serve"], {"DIGITPAD_WORKERS": "2"}),
        "tutorial (PIL resize + model.predict)": (
            [
                sys.executable,
                "-m",
                "uvicorn",
                "benchmarks.tutorial_app:app",
                "--port",
                str(args.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            {},
        ),
    }
    table = [
        "| server, body | concurrency | requests | p50 ms | p99 ms | requests/s | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    notes, throughput = [], {}
    for name, (command, env) in servers.items():
        env = {
            **env,
            "DIGITPAD_PORT": str(args.port),
            "DIGITPAD_LOG_LEVEL": "warning",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        process, cold = start(command, args.port, env, int(env.get("DIGITPAD_WORKERS", 1)))
        try:
            tutorial = name.startswith("tutorial")
            count = args.tutorial_requests if tutorial else args.requests
            loadgen.run(
                "127.0.0.1", args.port, raw if not tutorial else multipart, min(200, count), 4
            )  # warm-up
            warm_rss = process_tree_rss_mb(process.pid)
            bodies = [("multipart", multipart)] if tutorial else [("PNG body", raw), ("multipart", multipart)]
            if name == "digitpad, 1 worker":
                bodies.append(("Pillow-encoded PNG body", pillow))  # the input's effect on latency
            for body_name, requests in bodies:
                for concurrency in (1, 8, 32):
                    if ("2 workers" in name and concurrency == 1) or (requests is pillow and concurrency > 1):
                        continue
                    result = loadgen.run("127.0.0.1", args.port, requests, count, concurrency)
                    throughput[(name, body_name, concurrency)] = result.throughput
                    table.append(row(f"{name}, {body_name}", result, concurrency))
                    print(table[-1], flush=True)
            notes.append(
                f"- {name}: first prediction {cold:.2f} s after start; RSS {warm_rss:.0f} MB warm, "
                f"{process_tree_rss_mb(process.pid):.0f} MB after the load"
            )
        finally:
            process.terminate()
            process.wait(timeout=30)

    print("\n" + "\n".join(table) + "\n\n" + "\n".join(notes))
    tutorial_name = "tutorial (PIL resize + model.predict)"
    for workers in ("1 worker", "2 workers"):
        ratio = (
            throughput[(f"digitpad, {workers}", "multipart", 8)] / throughput[(tutorial_name, "multipart", 8)]
        )
        print(
            f"- throughput at concurrency 8, same multipart upload: digitpad ({workers}) = {ratio:.0f}x the tutorial way"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
