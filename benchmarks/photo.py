"""A 12-megapixel phone photo (a fine blue pen on beige paper under a soft shadow,
support.photos), read by the digit model in process as /predict reads it: the time
(p50 of --repeat) and how much the process's memory grows while it is read.

    python -m benchmarks.photo [--repeat 15]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app.core.classifier import Classifier
from app.settings import Settings
from support.photos import fine_pen_on_a_big_photo


def rss_mib() -> float:
    """The process's peak resident memory so far (VmHWM: getrusage's keeps the peak of the
    process that started it, the one that made the photo)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read(path: Path, repeat: int) -> None:
    """In a process of its own, so that making the photo does not count in its memory."""
    settings = Settings()
    classifier = Classifier.load("digits", settings.model_dir, limits=settings.limits())
    classifier.warm_up()
    photo = path.read_bytes()
    before = rss_mib()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = classifier.classify(photo)
        times.append(time.perf_counter() - started)
    grown = rss_mib() - before
    print(f"12-megapixel photo ({len(photo) / 1e6:.1f} MB JPEG, 3000x4000): read as {answer.label}")
    print(f"p50 {statistics.median(times) * 1000:.1f} ms, best {min(times) * 1000:.1f} ms of {repeat}")
    print(f"peak memory grew {grown:.1f} MiB while reading it (from {before:.0f} MiB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--read", type=Path, default=None, help=argparse.SUPPRESS)  # the reading process
    args = parser.parse_args(argv)
    if args.read is not None:
        read(args.read, args.repeat)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        path.write_bytes(fine_pen_on_a_big_photo(4))
        command = [
            sys.executable,
            "-m",
            "benchmarks.photo",
            "--read",
            str(path),
            "--repeat",
            str(args.repeat),
        ]
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
