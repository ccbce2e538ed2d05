"""Honesty: held-out kinds of non-digit, drawn as the page sends them, through POST /read
(what the page calls) and POST /predict of the running app (in process), and digits
through the same two routes, to show the price.

    python -m benchmarks.honest [--per-kind 200] [--data-dir ../shared/data/mnist]

A non-digit passes /read when it comes back with no number, and /predict when is_digit
is false. Kinds are those training never sees (training.negatives' held-out fonts,
Hershey fonts, doodles and scenes), each drawn black on white in a 280x280 canvas.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from app.settings import Settings
from app.web.main import create_app
from support.drawing import encode
from training import negatives, paper
from training.data import load_mnist
from training.evaluate import SHARED_DATA

CANVAS = 280


def on_canvas(image: Image.Image) -> bytes:
    """The drawing scaled into the page's canvas, black ink on white, as a PNG."""
    grey = image.convert("L")
    scale = 0.8 * CANVAS / max(grey.size)
    grey = grey.resize((max(1, round(grey.width * scale)), max(1, round(grey.height * scale))))
    canvas = Image.new("L", (CANVAS, CANVAS), 255)
    canvas.paste(grey, ((CANVAS - grey.width) // 2, (CANVAS - grey.height) // 2))
    return encode(canvas)


def heldout_kinds(n: int, seed: int) -> dict[str, Callable[[], list[Image.Image]]]:
    rng = np.random.default_rng(seed)
    kinds: dict[str, Callable[[], list[Image.Image]]] = {}
    for name, files in negatives.font_files(negatives.HELDOUT_FONTS).items():
        kinds[f"font:{name}"] = lambda files=files: negatives.characters([files], n, rng)
    for name in negatives.HELDOUT_HERSHEY:
        kinds[f"strokes:{name}"] = lambda name=name: negatives.stroked_letters((name,), n, rng)
    for name in negatives.HELDOUT_GREEK:
        kinds[f"strokes:{name}"] = lambda name=name: negatives.stroked_letters(
            (name,), n, rng, negatives.GREEK_KEYS
        )
    for kind in negatives.HELDOUT_DOODLES:
        kinds[f"doodle:{kind}"] = lambda kind=kind: negatives.doodles([kind], n, rng)
    kinds["scenes:heldout"] = lambda: negatives.scenes(
        list(negatives.HELDOUT_DOODLES), negatives.HELDOUT_HERSHEY, n, rng
    )
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-kind", type=int, default=200)
    parser.add_argument("--digits", type=int, default=1000, help="MNIST test digits, for the price")
    parser.add_argument("--data-dir", type=Path, default=SHARED_DATA / "mnist")
    parser.add_argument("--models", type=Path, default=None, help="folder of the digit model")
    parser.add_argument("--seed", type=int, default=4321)
    args = parser.parse_args(argv)

    settings = Settings() if args.models is None else Settings(model_dir=args.models)
    with TestClient(create_app(settings)) as client:

        def post(path: str, data: bytes) -> dict:
            kind = "image/jpeg" if data[:2] == b"\xff\xd8" else "image/png"
            return client.post(path, content=data, headers={"content-type": kind}).json()

        def answers(png: bytes) -> tuple[bool, bool]:
            """(/read gave no number, /predict said not a digit)"""
            return post("/read", png).get("number") is None, not post("/predict", png).get("is_digit", False)

        print("| held-out kind | images | /read: not a number | /predict: not a digit |\n|---|---|---|---|")
        read_all, predict_all = [], []
        for name, make in heldout_kinds(args.per_kind, args.seed).items():
            results = np.array([answers(on_canvas(image)) for image in make()])
            read_all.append(results[:, 0].mean())
            predict_all.append(results[:, 1].mean())
            print(f"| {name} | {len(results)} | {results[:, 0].mean():.1%} | {results[:, 1].mean():.1%} |")
        print(f"| **mean of kinds** | | **{np.mean(read_all):.1%}** | **{np.mean(predict_all):.1%}** |")

        mnist = load_mnist(args.data_dir)
        rng = np.random.default_rng(args.seed)
        right = {"drawn": [], "photographed": []}
        for image, label in zip(mnist.x_test[: args.digits], mnist.y_test[: args.digits], strict=True):
            drawn = on_canvas(Image.fromarray(255 - image))
            photo = encode(paper.photograph(image, rng, paper.HELDOUT), "JPEG", quality=90)
            for kind, png in (("drawn", drawn), ("photographed", photo)):
                right[kind].append(post("/read", png).get("number") == str(label))
        for kind, hits in right.items():
            print(f"MNIST test digits {kind}, read right by /read: {np.mean(hits):.2%} of {len(hits)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
