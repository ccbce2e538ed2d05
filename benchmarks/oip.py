"""Batches through the Open Inference Protocol against single /predict requests, and
what /metrics costs a request; on 127.0.0.1, one worker, side by side in one run.

    python -m benchmarks.oip              # about a minute on 2 cores

Images/s for 64 single /predict requests (the page's canvas PNG) against one
/v2/models/digits/infer request of 64 images: preprocessed FP32 inputs (binary tensor
data, as tritonclient sends them, and JSON), and the 64 PNGs as BYTES. Then /predict's
latency with metrics on and off (DIGITPAD_METRICS=false), interleaved. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys

import numpy as np

from app.core.decode import decode
from app.core.limits import Limits
from app.core.preprocess import to_model_input
from support import loadgen
from support.servers import CANVAS, free_port, start

BATCH = 64
INFER = "/v2/models/digits/infer"


def binary_body(tensor: dict, data: bytes) -> bytes:
    head = json.dumps(
        {
            "inputs": [{**tensor, "parameters": {"binary_data_size": len(data)}}],
            "parameters": {"binary_data_output": True},
        }
    ).encode()
    return loadgen.build_request(
        INFER,
        head + data,
        "application/octet-stream",
        headers={"Inference-Header-Content-Length": str(len(head))},
    )


def requests(canvas: bytes) -> dict[str, tuple[bytes, int]]:
    """Each way of asking, and how many images one request carries."""
    inputs = np.repeat(
        to_model_input(decode(canvas, Limits(max_pixels=10**8)))[None, ..., None], BATCH, axis=0
    ).astype("<f4")
    image = {"name": "image", "shape": list(inputs.shape), "datatype": "FP32"}
    png_bytes = {"name": "image_bytes", "shape": [BATCH], "datatype": "BYTES"}
    packed = b"".join(len(canvas).to_bytes(4, "little") + canvas for _ in range(BATCH))
    as_json = json.dumps({"inputs": [{**image, "data": inputs.reshape(-1).tolist()}]}).encode()
    return {
        "64 x POST /predict (PNG)": (loadgen.build_request("/predict", canvas, "image/png"), 1),
        "1 x OIP infer, 64 FP32 inputs, binary": (binary_body(image, inputs.tobytes()), BATCH),
        "1 x OIP infer, 64 FP32 inputs, JSON": (
            loadgen.build_request(INFER, as_json, "application/json"),
            BATCH,
        ),
        "1 x OIP infer, 64 PNGs, binary BYTES": (binary_body(png_bytes, packed), BATCH),
        "1 x OIP infer, 64 PNGs, base64 JSON": (
            loadgen.build_request(
                INFER,
                json.dumps(
                    {"inputs": [{**png_bytes, "data": [base64.b64encode(canvas).decode()] * BATCH}]}
                ).encode(),
                "application/json",
            ),
            BATCH,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="measurements of each, interleaved (median shown)"
    )
    parser.add_argument("--images", type=int, default=1920, help="images per measurement")
    parser.add_argument("--latency-requests", type=int, default=2000, help="per metrics on/off measurement")
    args = parser.parse_args(argv)
    canvas = CANVAS.read_bytes()
    ways = requests(canvas)
    servers = {}
    try:
        for name, metrics in (("metrics on", "true"), ("metrics off", "false")):
            port = free_port()
            env = {"DIGITPAD_PORT": str(port), "DIGITPAD_LOG_LEVEL": "warning", "DIGITPAD_METRICS": metrics}
            servers[name] = (start([sys.executable, "-m", "app.cli.serve"], port, env)[0], port)
        port = servers["metrics on"][1]
        for request, _ in ways.values():
            loadgen.run("127.0.0.1", port, [request], 20, 1)  # warm-up, and every answer must be a 200
        images_per_s: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for name, (request, per_request) in ways.items():
                result = loadgen.run("127.0.0.1", port, [request], args.images // per_request, 1)
                assert set(result.statuses) == {200}, (name, result.statuses)
                images_per_s[name].append(result.throughput * per_request)
        single = statistics.median(images_per_s["64 x POST /predict (PNG)"])
        print("| way, concurrency 1 | images/s | vs single /predict |\n|---|---|---|")
        for name, rates in images_per_s.items():
            print(f"| {name} | {statistics.median(rates):.0f} | {statistics.median(rates) / single:.1f}x |")

        predict = [loadgen.build_request("/predict", canvas, "image/png")]
        p50: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(args.rounds):
            for name, (_, port) in servers.items():
                p50[name].append(
                    loadgen.run("127.0.0.1", port, predict, args.latency_requests, 1).percentile_ms(50)
                )
        on, off = statistics.median(p50["metrics on"]), statistics.median(p50["metrics off"])
        print(
            f"\n/predict p50, concurrency 1, median of {args.rounds} rounds of {args.latency_requests}: "
            f"metrics on {on:.3f} ms, off {off:.3f} ms; cost {1000 * (on - off):+.0f} us a request"
        )
        print(
            "rounds (on / off): "
            + ", ".join(
                f"{a:.3f}/{b:.3f}" for a, b in zip(p50["metrics on"], p50["metrics off"], strict=True)
            )
        )
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
