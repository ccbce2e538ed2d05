"""Live swaps under load: a real server answers /predict and /read at concurrency 8 for a
minute without swaps, then a minute in which two versions (the shipped CNN and the dense
network, kept as versions of `digits`) are promoted in turn ten times. Every answer must
be a 200 naming the version that read it; the p99 with swaps is compared with the p99
without.

    python -m benchmarks.swap [--seconds 60] [--swaps 10] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

from app.store.database import Database
from app.store.versions import Versions
from support.loadgen import build_request, run
from support.paths import ROOT
from support.servers import CANVAS, running_server

MODELS = ROOT / "models" / "digits"


def load(port: int, seconds: float, versions: Counter) -> tuple[list[float], Counter]:
    """/predict and /read of the page's PNG at concurrency 8 for `seconds`."""
    image = CANVAS.read_bytes()
    requests = [build_request(path, image, "image/png") for path in ("/predict", "/read")]

    def named(body: bytes) -> bool:
        version = json.loads(body).get("model_version")
        versions[version] += 1
        return version is not None

    latencies: list[float] = []
    statuses: Counter = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = run("127.0.0.1", port, requests, 400, 8, check=named, deadline_s=120)
        latencies += result.latencies
        statuses.update(result.statuses)
        statuses["connection errors"] += result.connection_errors
        statuses["unnamed"] += result.wrong
    return latencies, statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--swaps", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    data = Path(tempfile.mkdtemp(prefix="digitpad-swap-"))
    env = {
        "DIGITPAD_DATA_DIR": str(data),
        "DIGITPAD_WORKERS": str(args.workers),
        "DIGITPAD_MODEL_POLL_S": "0.5",
    }
    with running_server(**env) as server:
        versions = Versions(
            Database(f"sqlite:///{data / 'digitpad.db'}"), data / "models", {"digits": MODELS}
        )
        shipped = versions.shipped_card("digits").version
        dense = versions.add("digits", MODELS.parent / "dense").version
        calm: Counter = Counter()
        before, statuses = load(server.port, args.seconds, calm)
        print(f"without swaps: {len(before)} requests, {dict(statuses)}, versions {dict(calm)}")

        stop = threading.Event()
        promoted: list[float] = []

        def promote() -> None:
            for i in range(args.swaps):
                if stop.wait(args.seconds / (args.swaps + 1)):
                    return
                versions.promote("digits", dense if i % 2 == 0 else shipped, "benchmarks.swap")
                promoted.append(time.monotonic())

        swapping: Counter = Counter()
        promoter = threading.Thread(target=promote)
        promoter.start()
        during, statuses = load(server.port, args.seconds, swapping)
        stop.set()
        promoter.join()
        print(
            f"with {len(promoted)} swaps: {len(during)} requests, {dict(statuses)}, versions {dict(swapping)}"
        )
    p99_before, p99_during = (float(np.percentile(x, 99) * 1000) for x in (before, during))
    p50_before, p50_during = (float(np.percentile(x, 50) * 1000) for x in (before, during))
    failed = sum(n for status, n in statuses.items() if status != 200)
    print(
        f"p50 {p50_before:.2f} -> {p50_during:.2f} ms; p99 {p99_before:.2f} -> {p99_during:.2f} ms "
        f"({p99_during / p99_before:.2f}x); failed or unnamed: {failed}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
