"""Evaluates a saved model the way the service uses it: digits through the shared
preprocessing (MNIST's official test set, USPS, Semeion), each one rejected as
"not a digit" counted as an error; and the rejection rate on each held-out kind
of non-digit (fonts, doodles and clothes never trained on, numbers of test digits).

    python -m training.evaluate --model models/digits/digits.tflite --data-dir ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from app.core.card import ModelCard
from app.core.inference import KerasPredictor, LiteRTPredictor, Predictor, read_digits, sure_answers
from app.core.tasks import DIGITS, NOT_A_DIGIT
from training import native_stderr_held, paper, parallel
from training.data import DataError, load_mnist, load_semeion, load_usps
from training.negatives import FASHION_DIR, heldout_negatives

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_USPS = SHARED_DATA / "usps" / "zip.test.gz"
DEFAULT_SEMEION = SHARED_DATA / "semeion" / "semeion.data"
# "Not a digit" when the model finds it more likely than all ten digits together.
# The sweep in the model card shows what other thresholds would trade.
THRESHOLD = 0.5
SWEEP = (0.1, 0.3, 0.5, 0.7, 0.9, 0.97)
DIGIT_SETS = ("mnist_test", "usps", "semeion", "paper_mnist_test", "paper_usps", "paper_semeion")
PAPER_SEED = 2026
PAPER_IMAGES = 1000  # of each digit set, photographed in held-out settings (training.paper.HELDOUT)


@dataclass
class Scores:
    accuracy: float  # right and not rejected
    false_rejection: float
    per_class: list[float]
    confusion: list[list[int]]  # true digit x (predicted digit 0-9, then rejected)

    @classmethod
    def of(cls, probabilities: np.ndarray, labels: np.ndarray, threshold: float) -> Scores:
        """A label of paper.REFUSED is an image the preprocessing refused: wrong, and rejected."""
        digits, _, is_digit = read_digits(probabilities, threshold)
        predicted = np.where(is_digit, digits.argmax(axis=1), NOT_A_DIGIT)
        read = labels != paper.REFUSED
        confusion = np.zeros((10, 11), dtype=int)
        np.add.at(confusion, (labels[read], predicted[read]), 1)
        per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
        return cls(
            float((predicted == labels).mean()),
            float((~is_digit | ~read).mean()),
            per_class.round(4).tolist(),
            confusion.tolist(),
        )


def digit_sets(
    x_test: np.ndarray,
    y_test: np.ndarray,
    usps: Path | None,
    semeion: Path | None,
    photographed: int = PAPER_IMAGES,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Preprocessed inputs and labels of each digit set that is present, and `photographed`
    of each again as photographed on paper."""
    sets = {"mnist_test": (x_test, y_test)}
    for name, path, loader in (("usps", usps, load_usps), ("semeion", semeion, load_semeion)):
        if path is not None and path.exists():
            images, labels = loader(path)
            sets[name] = (parallel.inputs(DIGITS, images), labels)
    rng = np.random.default_rng(PAPER_SEED)
    for name, (x, y) in list(sets.items()):
        sets[f"paper_{name}"] = paper.photographed(x, y, photographed, rng, paper.HELDOUT, refused=True)
    return sets


def predicted(
    predictor: Predictor, digits: dict[str, tuple[np.ndarray, np.ndarray]]
) -> dict[str, np.ndarray]:
    """The model's outputs on each digit set: once, for `evaluate` and `calibrate_sure` alike."""
    return {name: predictor.predict(x) for name, (x, _) in digits.items()}


def evaluate(
    predictor: Predictor,
    digits: dict[str, tuple[np.ndarray, np.ndarray]],
    negatives: dict[str, np.ndarray],
    threshold: float = THRESHOLD,
    outputs: dict[str, np.ndarray] | None = None,
) -> dict:
    """Accuracy and false rejection per digit set, rejection per negative source,
    and the not-a-digit scores behind them (for the plot and the sweep). `outputs`:
    the digit sets' outputs where they are predicted already."""
    outputs = predicted(predictor, digits) if outputs is None else outputs
    results: dict = {"threshold": threshold}
    scores: dict[str, np.ndarray] = {}
    for name in DIGIT_SETS:
        if name not in digits:
            results[name] = None
            continue
        _, y = digits[name]
        probabilities = outputs[name]
        scores[name] = read_digits(probabilities, threshold)[1]
        results[name] = {"images": len(y), **Scores.of(probabilities, y, threshold).__dict__}
        if name != "mnist_test":
            del results[name]["confusion"]
    rejection = {}
    for name, x in negatives.items():
        scores[name] = read_digits(predictor.predict(x), threshold)[1]
        rejection[name] = {
            "images": len(x),
            "rejected": float((scores[name] >= threshold).mean()),
            **(separation(scores["mnist_test"], scores[name]) if "mnist_test" in scores else {}),
        }
    results["negatives"] = rejection
    if rejection:
        results["negatives_rejected_mean"] = float(np.mean([r["rejected"] for r in rejection.values()]))
    results["sweep"] = sweep(scores, negatives.keys())
    results["scores"] = scores
    return results


def separation(digits: np.ndarray, negatives: np.ndarray) -> dict[str, float]:
    """The field's measures of how well the not-a-digit score tells a source's non-digits
    from MNIST's test digits: AUROC (the chance a non-digit scores above a digit, ties
    half), and the share of non-digits still taken for digits at the threshold that
    accepts 95% of the digits (FPR at 95% TPR)."""
    ranks = stats.rankdata(np.concatenate([digits, negatives]))[len(digits) :]
    auroc = (ranks.sum() - len(negatives) * (len(negatives) + 1) / 2) / (len(digits) * len(negatives))
    at_95 = float(np.quantile(digits, 0.95))
    return {"auroc": float(auroc), "fpr_at_95_tpr": float((negatives <= at_95).mean())}


def sweep(scores: dict[str, np.ndarray], negative_names: Iterable[str]) -> list[dict]:
    """What each candidate threshold would give: false rejection per digit set and
    the mean rejection of the held-out non-digits."""
    rows = []
    for t in SWEEP:
        row = {"threshold": t}
        for name in DIGIT_SETS:
            if name in scores:
                row[f"{name}_false_rejection"] = float((scores[name] >= t).mean())
        rejected = [float((scores[name] >= t).mean()) for name in negative_names]
        if rejected:
            row["negatives_rejected_mean"] = float(np.mean(rejected))
        rows.append(row)
    return rows


def summary(results: dict) -> str:
    lines = [f"threshold: not a digit when P(not a digit) >= {results['threshold']}"]
    for name in DIGIT_SETS:
        scores = results.get(name)
        if scores:
            lines.append(
                f"{name:>22}: {scores['accuracy']:.2%} right of {scores['images']} digits, "
                f"{scores['false_rejection']:.2%} rejected"
            )
        else:
            lines.append(f"{name:>22}: not found, skipped")
    for name, rejection in results.get("negatives", {}).items():
        lines.append(f"{name:>22}: {rejection['rejected']:.1%} of {rejection['images']} rejected")
    for name, figures in results.get("sure", {}).items():
        lines.append(
            f"{'sure, ' + name:>22}: {figures['not_sure']:.2%} shown as not sure; "
            f"those shown as sure {figures['sure_right']:.2%} right"
        )
    if "negatives_rejected_mean" in results:
        lines.append(
            f"{'held-out non-digits':>22}: {results['negatives_rejected_mean']:.1%} rejected "
            "(mean of sources)"
        )
    return "\n".join(lines)


def without_scores(results: dict) -> dict:
    return {key: value for key, value in results.items() if key != "scores"}


SURE_GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
SURE_RIGHT = 0.998  # calibration's aim: answers shown as sure are right this often


def sure_figures(outputs: np.ndarray, labels: np.ndarray, threshold: float, sure: float) -> dict:
    """Of digits: the share shown as not sure, and how often those shown as sure are right
    (a rejection shown as sure is wrong)."""
    digits, _, is_digit = read_digits(outputs, threshold)
    answer = np.where(is_digit, digits.argmax(axis=1), NOT_A_DIGIT)
    shown = sure_answers(outputs, threshold, sure)
    return {
        "images": len(labels),
        "not_sure": float(1 - shown.mean()),
        "sure_right": float((answer == labels)[shown].mean()) if shown.any() else 1.0,
    }


def calibrate_sure(
    outputs: dict[str, np.ndarray], digits: dict[str, tuple[np.ndarray, np.ndarray]], threshold: float
) -> dict:
    """The lowest probability on SURE_GRID at which answers shown as sure are right
    SURE_RIGHT of the time on the calibration digits (the first half of MNIST's test set and
    the photographed MNIST test digits), and the figures it gives on the rest; `outputs`:
    the model's on each digit set (`predicted`)."""
    half = len(digits["mnist_test"][1]) // 2
    labels = {name: y for name, (_, y) in digits.items()}
    calibration = np.concatenate([outputs["mnist_test"][:half], outputs["paper_mnist_test"]])
    calibration_labels = np.concatenate([labels["mnist_test"][:half], labels["paper_mnist_test"]])
    chosen = next(
        (
            t
            for t in SURE_GRID
            if sure_figures(calibration, calibration_labels, threshold, t)["sure_right"] >= SURE_RIGHT
        ),
        SURE_GRID[-1],
    )
    reported = {"mnist_test_rest": (outputs["mnist_test"][half:], labels["mnist_test"][half:])}
    reported |= {
        name: (outputs[name], labels[name])
        for name in digits
        if name not in ("mnist_test", "paper_mnist_test")
    }
    return {
        "sure": chosen,
        "choice": f"the lowest of {list(SURE_GRID)} at which answers shown as sure were right at least "
        f"{SURE_RIGHT:.1%} of the time on the first {half} MNIST test digits and the "
        "photographed MNIST test digits; figures on the rest in metrics.sure",
        "figures": {name: sure_figures(o, y, threshold, chosen) for name, (o, y) in reported.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=Path("models/digits/digits.tflite"),
        help="a .keras or .tflite model (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="folder with MNIST's IDX files; default: Keras' download"
    )
    parser.add_argument(
        "--fashion-dir",
        type=Path,
        default=FASHION_DIR,
        help="folder with Fashion-MNIST's IDX files (default: %(default)s)",
    )
    parser.add_argument("--usps", type=Path, default=DEFAULT_USPS)
    parser.add_argument("--semeion", type=Path, default=DEFAULT_SEMEION)
    parser.add_argument(
        "--threshold", type=float, default=None, help="not-a-digit threshold (default: the model card's)"
    )
    parser.add_argument("--seed", type=int, default=1234, help="seed of the held-out non-digits")
    parser.add_argument(
        "--handwritten",
        type=Path,
        default=SHARED_DATA / "negatives",
        help="the real handwritten non-digits, whose held-out kinds and sources are measured too, where "
        "the folder is there (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print the full results as JSON")
    parser.add_argument(
        "--write-card",
        action="store_true",
        help="write the figures, and the calibrated 'sure' probability, into the model's card",
    )
    args = parser.parse_args(argv)

    if not args.model.is_file():
        print(f"error: {args.model}: no such model file", file=sys.stderr)
        return 2
    card = ModelCard.read(args.model.parent / "model_card.json")
    if card.not_a_digit is None:
        print(f"error: {args.model}: not a digit model (its card's task is {card.task})", file=sys.stderr)
        return 2
    threshold = card.not_a_digit.threshold if args.threshold is None else args.threshold
    try:
        mnist = load_mnist(args.data_dir)
        negatives = heldout_negatives(
            mnist.x_test,
            args.fashion_dir,
            args.seed,
            handwritten_dir=args.handwritten if args.handwritten.is_dir() else None,
        )
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.model.suffix != ".tflite":
        import training.tf  # noqa: F401 (TensorFlow loaded quietly, before KerasPredictor imports it)
    with native_stderr_held():
        predictor = (
            LiteRTPredictor(args.model) if args.model.suffix == ".tflite" else KerasPredictor(args.model)
        )
    digits = digit_sets(parallel.inputs(DIGITS, mnist.x_test), mnist.y_test, args.usps, args.semeion)
    outputs = predicted(predictor, digits)
    results = without_scores(evaluate(predictor, digits, negatives, threshold, outputs))
    calibration = calibrate_sure(outputs, digits, threshold)
    results["sure"] = calibration["figures"]
    print(json.dumps(results, indent=2) if args.json else summary(results))
    if args.write_card:
        path = args.model.parent / "model_card.json"
        raw = json.loads(path.read_text())
        raw["metrics"] = results
        raw["not_a_digit"] |= {
            "sure": calibration["sure"],
            "sure_choice": calibration["choice"],
            "heldout_sources": sorted(results["negatives"]),
        }
        path.write_text(json.dumps(raw, indent=2) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
