"""Evaluates reading whole numbers, the way POST /read does it: numbers of 2 to 6
digits composed from held-out handwritten digits (MNIST's test set, USPS), with
size and baseline jitter and three spacings (apart, close, and one pair of neighbours
touching or overlapping), encoded as
PNG and read by the service's own classifier.

    python -m training.evaluate_numbers --data-dir ../shared/data/mnist

    python -m training.evaluate_numbers --data-dir ../shared/data/mnist --paper

(the second on patterned paper, photographed, with a printed line under each number).
Reports the share of numbers read exactly, and of digits read right, by length and
by spacing, and single digits through /read's path against /predict's.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.classifier import Classifier
from app.core.errors import Refusal
from training import native_stderr_held, paper
from training.data import DataError, load_mnist, load_usps
from training.evaluate import DEFAULT_USPS
from training.negatives import ink_crop

SPACINGS = ("apart", "close", "touching")
LENGTHS = (2, 3, 4, 5, 6)
HEIGHT = 64  # px of a digit in the composed image, before jitter


def compose(digits: list[np.ndarray], spacing: str, rng: np.random.Generator) -> Image.Image:
    """White-ink-on-black digits (uint8 arrays) side by side, as one number on dark paper."""
    parts = []
    for digit in digits:
        crop = Image.fromarray(ink_crop(digit))
        height = HEIGHT * rng.uniform(0.85, 1.15)
        width = max(2, round(crop.width * height / crop.height))
        parts.append(np.asarray(crop.resize((width, round(height)), Image.Resampling.BILINEAR)))
    margin = HEIGHT // 2
    # "touching": one pair of neighbours runs into each other, the others are close.
    gaps = {"apart": (0.25, 0.6), "close": (0.06, 0.2), "touching": (0.06, 0.2)}[spacing]
    touching = int(rng.integers(len(parts) - 1)) if spacing == "touching" else -1
    offsets, x = [], margin
    for i, part in enumerate(parts):
        offsets.append((x, margin + round(rng.uniform(-0.1, 0.1) * HEIGHT)))
        gap = rng.uniform(-0.1, -0.02) if i == touching else rng.uniform(*gaps)
        x += part.shape[1] + round(gap * HEIGHT)
    canvas = np.zeros((HEIGHT * 2 + margin, x + margin + HEIGHT), dtype=np.uint8)
    for (left, top), part in zip(offsets, parts, strict=True):
        window = canvas[top : top + part.shape[0], left : left + part.shape[1]]
        np.maximum(window, part, out=window)
    return Image.fromarray(canvas, "L")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def digits_right(read: str, truth: str) -> int:
    """Digits in place: truth's length less the edit distance, so a missed or an
    extra digit costs one, not every digit after it."""
    previous = list(range(len(truth) + 1))
    for i, a in enumerate(read, start=1):
        current = [i]
        for j, b in enumerate(truth, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return max(0, len(truth) - previous[-1])


def evaluate_numbers(
    classifier: Classifier,
    sources: dict[str, tuple[np.ndarray, np.ndarray]],
    per_cell: int,
    seed: int,
    on_paper: bool = False,
) -> dict:
    """With `on_paper`, each number is photographed on patterned paper with a printed line
    under it (training.paper's held-out settings)."""
    rng = np.random.default_rng(seed)
    exact: dict[str, list[bool]] = defaultdict(list)
    right: dict[str, list[float]] = defaultdict(list)
    for source, (images, labels) in sources.items():
        for length in LENGTHS:
            for spacing in SPACINGS:
                for _ in range(per_cell):
                    chosen = rng.integers(len(labels), size=length)
                    truth = "".join(str(labels[i]) for i in chosen)
                    image = compose([images[i] for i in chosen], spacing, rng)
                    if on_paper:
                        image = paper.photograph(np.asarray(image), rng, paper.HELDOUT, underline=1.0)
                    try:
                        read = classifier.read(_png(image)).number or ""
                    except Refusal:
                        read = ""
                    share = digits_right(read, truth) / length
                    for key in ("all", f"source:{source}", f"length:{length}", f"spacing:{spacing}"):
                        exact[key].append(read == truth)
                        right[key].append(share)
    return {
        key: {
            "numbers": len(exact[key]),
            "exact": float(np.mean(exact[key])),
            "digits_right": float(np.mean(right[key])),
        }
        for key in exact
    }


def single_digits(classifier: Classifier, images: np.ndarray, labels: np.ndarray) -> dict:
    """The same digits through /predict's path and /read's: both must agree with the label."""
    predict, read = [], []
    for image, label in zip(images, labels, strict=True):
        data = _png(Image.fromarray(image, "L"))
        result = classifier.classify(data)
        predict.append(bool(result.is_digit) and result.digit == label)
        read.append(classifier.read(data).number == str(label))
    return {"images": len(labels), "predict": float(np.mean(predict)), "read": float(np.mean(read))}


def white_on_black(images: list[Image.Image]) -> np.ndarray:
    """USPS's dark-on-light scans, inverted and enlarged to MNIST's size."""
    return np.stack([255 - np.asarray(im.resize((28, 28), Image.Resampling.BILINEAR)) for im in images])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--models",
        type=Path,
        default=Path("models"),
        help="folder of a digit model and its card (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="MNIST's IDX files; default: Keras' download"
    )
    parser.add_argument("--usps", type=Path, default=DEFAULT_USPS)
    parser.add_argument("--per-cell", type=int, default=40, help="numbers per source, length and spacing")
    parser.add_argument(
        "--single", type=int, default=2000, help="MNIST test digits for the single-digit check"
    )
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument(
        "--paper",
        action="store_true",
        help="photograph each number on patterned paper with a printed line under it",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        mnist = load_mnist(args.data_dir)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with native_stderr_held():
        classifier = Classifier.load("digits", args.models)
    sources = {"mnist_test": (mnist.x_test, mnist.y_test)}
    if args.usps.exists():
        images, labels = load_usps(args.usps)
        sources["usps"] = (white_on_black(images), labels)
    results = {
        "numbers": evaluate_numbers(classifier, sources, args.per_cell, args.seed, args.paper),
        "single_digits": single_digits(classifier, mnist.x_test[: args.single], mnist.y_test[: args.single]),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for key, row in results["numbers"].items():
        print(
            f"{key:>18}: {row['exact']:.1%} of {row['numbers']} numbers exact, "
            f"{row['digits_right']:.1%} of digits"
        )
    single = results["single_digits"]
    print(
        f"{'single digits':>18}: /predict {single['predict']:.2%}, /read {single['read']:.2%} "
        f"of {single['images']} MNIST test digits"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
