"""Reading a number: POST /read of a 4-digit 800x200 PNG on 127.0.0.1, beside
/predict of the page's one-digit PNG, and where /read's time goes in process.

    python -m benchmarks.read
"""

from __future__ import annotations

import argparse
import sys
import timeit

from PIL import Image

from app.core.classifier import Classifier
from app.core.decode import decode
from app.core.limits import Limits
from app.settings import Settings
from support import loadgen
from support.drawing import encode, number
from support.servers import CANVAS, start

# 800x200, black ink on opaque white, as the page's canvas exports it
NUMBER_PNG = encode(Image.alpha_composite(Image.new("RGBA", (800, 200), "white"), number("2026", size=200)))


def best_ms(function, number: int = 100) -> float:
    function()
    return min(timeit.repeat(function, number=number, repeat=5)) / number * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)

    classifier = Classifier.load("digits", Settings().model_dir)
    image = decode(NUMBER_PNG, Limits(max_pixels=10**8))
    assert classifier.read_image(image).number == "2026"
    print("| /read of a 4-digit 800x200 PNG, in process | ms |\n|---|---|")
    print(f"| decode | {best_ms(lambda: decode(NUMBER_PNG, Limits(max_pixels=10**8))):.2f} |")
    print(
        f"| segment, preprocess and classify (one model call for the digits) | "
        f"{best_ms(lambda: classifier.read_image(image)):.2f} |"
    )

    process, _ = start(
        [sys.executable, "-m", "app.cli.serve"],
        args.port,
        {"DIGITPAD_PORT": str(args.port), "DIGITPAD_LOG_LEVEL": "warning"},
    )
    try:
        print(
            "\n| request, 1 worker, concurrency 1 | requests | p50 ms | p99 ms | errors |\n|---|---|---|---|---|"
        )
        for name, path, body in [
            ("/read, 4-digit 800x200 PNG", "/read", NUMBER_PNG),
            ("/read, the page's one-digit PNG", "/read", CANVAS.read_bytes()),
            ("/predict, the page's one-digit PNG", "/predict", CANVAS.read_bytes()),
        ]:
            requests = [loadgen.build_request(path, body, "image/png")]
            loadgen.run("127.0.0.1", args.port, requests, 200, 1)  # warm-up
            result = loadgen.run("127.0.0.1", args.port, requests, args.requests, 1)
            errors = result.connection_errors + sum(
                n for status, n in result.statuses.items() if status != 200
            )
            print(
                f"| {name} | {result.requests} | {result.percentile_ms(50):.2f} | "
                f"{result.percentile_ms(99):.2f} | {errors} |",
                flush=True,
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
