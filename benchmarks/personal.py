"""Teach it your handwriting, measured: a population the shipped model reads worst
(Semeion; USPS too) stands for "a person" (for this measurement only: neither is ever used
to train the shipped model). k examples of each digit are taught through POST /examples,
and the rest of the set is read through POST /read with that profile, the way the page
reads; MNIST test is read with the same profile too, to show nothing else got worse.
Then the cost: /read of the page's drawing with a profile of 500 examples and without
one, on a real server, alternately.

    python -m benchmarks.personal [--k 1 3 5] [--seeds 3] [--only accuracy|cost]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from app.settings import Settings
from app.web.main import create_app
from support.drawing import encode
from support.servers import CANVAS, running_server
from training.data import load_mnist, load_semeion, load_usps
from training.evaluate import DEFAULT_SEMEION, DEFAULT_USPS, SHARED_DATA

PNG = {"content-type": "image/png"}


def profile(name: str) -> dict[str, str]:
    return {"Digitpad-Profile": f"{name}-benchmark-profile"}


def pngs(images: list[Image.Image]) -> list[bytes]:
    return [encode(image) for image in images]


def accuracy(client: TestClient, images: list[bytes], labels: np.ndarray, who: str | None) -> float:
    """The share read as their label by /read (a number of one digit, that digit)."""
    headers = {**PNG, **(profile(who) if who else {})}
    right = 0
    for image, label in zip(images, labels, strict=True):
        answer = client.post("/read", content=image, headers=headers).json()
        right += answer.get("number") == str(label)
    return right / len(images)


def teach(client: TestClient, who: str, images: list[bytes], labels: np.ndarray) -> None:
    for image, label in zip(images, labels, strict=True):
        stored = client.post(f"/examples?label={label}", content=image, headers={**PNG, **profile(who)})
        if stored.status_code != 201:
            raise RuntimeError(f"teaching failed: {stored.status_code} {stored.text}")


def learning_curve(
    client: TestClient,
    name: str,
    images: list[bytes],
    labels: np.ndarray,
    ks: list[int],
    seeds: int,
    mnist: tuple[list[bytes], np.ndarray] | None,
) -> None:
    print(f"\n{name} ({len(images)} images): read by /read without a profile: ", end="", flush=True)
    print(f"{accuracy(client, images, labels, None):.2%}")
    for k in ks:
        scores, kept = [], []
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            taught = np.concatenate(
                [rng.choice(np.flatnonzero(labels == d), k, replace=False) for d in range(10)]
            )
            rest = np.setdiff1d(np.arange(len(labels)), taught)
            who = f"{name}-k{k}-s{seed}"
            teach(client, who, [images[i] for i in taught], labels[taught])
            scores.append(accuracy(client, [images[i] for i in rest], labels[rest], who))
            if mnist is not None and k == max(ks) and seed == 0:
                kept.append(accuracy(client, *mnist, who))
        line = f"  k={k}: {statistics.mean(scores):.2%} of the rest ({', '.join(f'{s:.2%}' for s in scores)})"
        if kept:
            line += f"; MNIST test read with the first of these profiles: {kept[0]:.2%}"
        print(line, flush=True)


def cost(examples: int, rounds: int, requests: int) -> None:
    """p50 of /read of the page's canvas PNG, with a profile of `examples` and without one."""
    image = CANVAS.read_bytes()
    env = {
        "DIGITPAD_DATA_DIR": tempfile.mkdtemp(prefix="digitpad-bench-"),
        "DIGITPAD_EXAMPLES_PER_MINUTE": "100000",
    }
    with running_server(**env) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        rng = np.random.default_rng(0)
        for i in range(examples):
            label = int(rng.integers(0, 10))
            client.post(f"/examples?label={label}", content=image, headers={**PNG, **profile("cost")})
            if i % 100 == 99:
                print(f"  {i + 1} examples taught", flush=True)
        with_profile, without = [], []
        for _ in range(rounds):
            for times, headers in ((without, PNG), (with_profile, {**PNG, **profile("cost")})):
                for _ in range(requests):
                    started = time.perf_counter()
                    answer = client.post("/read", content=image, headers=headers)
                    times.append(time.perf_counter() - started)
                    assert answer.status_code == 200
        personal = client.post("/read", content=image, headers={**PNG, **profile("cost")}).json()
        assert personal["digits"][0]["personal"], personal
    plain, mine = statistics.median(without) * 1000, statistics.median(with_profile) * 1000
    print(
        f"\n/read of the page's PNG, {rounds} rounds x {requests} requests each way: p50 {plain:.2f} ms without "
        f"a profile, {mine:.2f} ms with one of {examples} examples: {mine - plain:+.2f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--k", type=int, nargs="+", default=[1, 3, 5], help="examples taught per digit")
    parser.add_argument("--seeds", type=int, default=3, help="draws of the taught examples per k")
    parser.add_argument("--data-dir", type=Path, default=SHARED_DATA / "mnist", help="MNIST's IDX files")
    parser.add_argument("--usps", type=Path, default=DEFAULT_USPS)
    parser.add_argument("--semeion", type=Path, default=DEFAULT_SEMEION)
    parser.add_argument("--cost-examples", type=int, default=500, help="the profile's size for the cost")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300, help="requests per round, each way")
    parser.add_argument("--only", choices=["accuracy", "cost"], help="measure one of the two")
    args = parser.parse_args(argv)

    if args.only != "cost":
        measure_accuracy(args)
    if args.only != "accuracy":
        cost(args.cost_examples, args.rounds, args.requests)
    return 0


def measure_accuracy(args: argparse.Namespace) -> None:
    mnist_data = load_mnist(args.data_dir)
    mnist = (pngs([Image.fromarray(255 - x) for x in mnist_data.x_test]), mnist_data.y_test)
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="digitpad-bench-")), examples_per_minute=100_000
    )
    with TestClient(create_app(settings)) as client:
        print(f"MNIST test ({len(mnist[1])} images) read by /read without a profile: ", end="", flush=True)
        print(f"{accuracy(client, *mnist, None):.2%}")
        for name, path, loader in (("semeion", args.semeion, load_semeion), ("usps", args.usps, load_usps)):
            images, labels = loader(path)
            learning_curve(
                client, name, pngs(images), labels, args.k, args.seeds, mnist if name == "semeion" else None
            )


if __name__ == "__main__":
    sys.exit(main())
