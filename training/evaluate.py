"""Evaluates a saved model on MNIST's official test set and, through the same
preprocessing the service applies, on the USPS and Semeion handwriting sets.

    python -m training.evaluate --model models/digitpad.keras --data-dir ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.inference import KerasPredictor, LiteRTPredictor, Predictor
from app.preprocess import to_model_input
from training.data import DataError, load_mnist, load_semeion, load_usps

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_USPS = SHARED_DATA / "usps" / "zip.test.gz"
DEFAULT_SEMEION = SHARED_DATA / "semeion" / "semeion.data"


def preprocess_all(images) -> np.ndarray:
    """Feeds images (PIL images or uint8 arrays) through the service's preprocessing."""
    as_image = lambda im: im if isinstance(im, Image.Image) else Image.fromarray(im, "L")  # noqa: E731
    return np.stack([to_model_input(as_image(im)) for im in images])


@dataclass
class Scores:
    accuracy: float
    per_class: list[float]
    confusion: list[list[int]]

    @classmethod
    def of(cls, probabilities: np.ndarray, labels: np.ndarray) -> "Scores":
        predicted = probabilities.argmax(axis=1)
        confusion = np.zeros((10, 10), dtype=int)
        np.add.at(confusion, (labels, predicted), 1)
        per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
        return cls(float((predicted == labels).mean()), per_class.round(4).tolist(), confusion.tolist())


def evaluate(
    predictor: Predictor,
    x_test: np.ndarray,
    y_test: np.ndarray,
    usps: Path | None = DEFAULT_USPS,
    semeion: Path | None = DEFAULT_SEMEION,
) -> dict:
    """Scores on MNIST's test images (already preprocessed) and the handwriting sets."""
    mnist = Scores.of(predictor.predict(x_test), y_test)
    results = {
        "mnist_test": {"images": len(y_test), **mnist.__dict__},
    }
    for name, path, loader in (("usps", usps, load_usps), ("semeion", semeion, load_semeion)):
        if path is None or not path.exists():
            results[name] = None
            continue
        images, labels = loader(path)
        scores = Scores.of(predictor.predict(preprocess_all(images)), labels)
        results[name] = {"images": len(labels), "accuracy": scores.accuracy, "per_class": scores.per_class}
    return results


def summary(results: dict) -> str:
    lines = []
    for name in ("mnist_test", "usps", "semeion"):
        scores = results.get(name)
        if scores:
            lines.append(f"{name:>10}: {scores['accuracy']:.2%} of {scores['images']} images")
        else:
            lines.append(f"{name:>10}: not found, skipped")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("models/digitpad.tflite"),
                        help="a .keras or .tflite model (default: %(default)s)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder with MNIST's IDX files; default: Keras' download")
    parser.add_argument("--usps", type=Path, default=DEFAULT_USPS)
    parser.add_argument("--semeion", type=Path, default=DEFAULT_SEMEION)
    parser.add_argument("--json", action="store_true", help="print the full results as JSON")
    args = parser.parse_args(argv)

    if not args.model.is_file():
        print(f"error: {args.model}: no such model file", file=sys.stderr)
        return 2
    try:
        mnist = load_mnist(args.data_dir)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    predictor = LiteRTPredictor(args.model) if args.model.suffix == ".tflite" else KerasPredictor(args.model)
    results = evaluate(predictor, preprocess_all(mnist.x_test), mnist.y_test, args.usps, args.semeion)
    print(json.dumps(results, indent=2) if args.json else summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
