"""Evaluates reading whole numbers, the way POST /read does it: numbers of 2 to 6
digits composed from held-out handwritten digits (MNIST's test set, USPS), with
size and baseline jitter and three spacings (apart, close, and one pair of neighbours
touching or overlapping), encoded as
PNG and read by the service's own classifier.

    python -m training.evaluate_numbers --data-dir ../shared/data/mnist

    python -m training.evaluate_numbers --data-dir ../shared/data/mnist --paper
    python -m training.evaluate_numbers --data-dir ../shared/data/mnist --touching

(the second on patterned paper, photographed, with a printed line under each number; the
third with every pair of neighbours touching or overlapping).
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
from app.core.strip import load_number_reader
from training import native_stderr_held, paper, strips
from training.data import DataError, load_mnist, load_usps
from training.evaluate import DEFAULT_USPS

SPACINGS = ("apart", "close", "touching")  # touching: one pair of neighbours, the rest close
LENGTHS = (2, 3, 4, 5, 6)
HEIGHT = 64  # px of a digit in the composed image, before jitter


def compose(digits: list[np.ndarray], spacing: str, rng: np.random.Generator) -> Image.Image:
    """White-ink-on-black digits (uint8 arrays) in a line, as one number on dark paper
    (training.strips.compose, the strip reader's own, at HEIGHT px a digit)."""
    return Image.fromarray(strips.compose(digits, rng, spacing, HEIGHT), "L")


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
    spacings: tuple[str, ...] = SPACINGS,
) -> dict:
    """With `on_paper`, each number is photographed on patterned paper with a printed line
    under it (training.paper's held-out settings)."""
    rng = np.random.default_rng(seed)
    exact: dict[str, list[bool]] = defaultdict(list)
    right: dict[str, list[float]] = defaultdict(list)
    for source, (images, labels) in sources.items():
        for length in LENGTHS:
            for spacing in spacings:
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
        default=Path("models/digits"),
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
    parser.add_argument(
        "--touching",
        action="store_true",
        help="every pair of neighbouring digits touching or overlapping (spacing all_touching)",
    )
    parser.add_argument(
        "--numbers",
        type=Path,
        default=Path("models/numbers"),
        help="folder of the strip reader, as /read uses it (default: %(default)s; a folder without one: "
        "numbers read by cutting alone)",
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
        classifier.numbers = load_number_reader(args.numbers)
    sources = {"mnist_test": (mnist.x_test, mnist.y_test)}
    if args.usps.exists():
        images, labels = load_usps(args.usps)
        sources["usps"] = (white_on_black(images), labels)
    results = {
        "numbers": evaluate_numbers(
            classifier,
            sources,
            args.per_cell,
            args.seed,
            args.paper,
            ("all_touching",) if args.touching else SPACINGS,
        ),
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
