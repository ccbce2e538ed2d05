"""One recipe per model: what the training loop (training.fitting.run) needs to know
about it and nothing it shares with the others, but for its network (training.networks,
which needs Keras). A new model is a new entry in RECIPES and one in NETWORKS.

    digits   the served digit CNN, on MNIST, drawn European 1s and 7s and non-digits
    dense    the tutorials' dense network, on the same data, for comparison
    numbers  the strip reader: a whole line of digits, read without cutting it (CTC)
    fashion  the clothes CNN, on Fashion-MNIST
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.inference import LiteRTPredictor, Predictor
from app.core.preprocess import SIZE
from app.core.strip import NUMBERS, STEPS, NumberReader
from app.core.tasks import DIGITS, FASHION, NOT_A_DIGIT, Task
from training import handwritten, paper, parallel, strips
from training.data import DataError, Mnist, load_fashion, load_mnist
from training.drawn import DOODLES, european_one, european_seven, looped_nine, open_four
from training.evaluate import (
    DIGIT_SETS,
    PAPER_IMAGES,
    calibrate_sure,
    digit_sets,
    evaluate,
    predicted,
    summary,
)
from training.evaluate_numbers import digits_right
from training.extra import Extra, load_extra
from training.negatives import (
    HELDOUT_DOODLES,
    HELDOUT_FASHION,
    HELDOUT_FONTS,
    TRAIN_FONTS,
    TRAIN_HERSHEY,
    Counts,
    font_files,
    heldout_negatives,
    training_negatives,
)
from training.report import plot_confusion, plot_scores

if TYPE_CHECKING:  # for annotations only: training.train makes its flags from the recipes
    from training.train import Config

QUICK_TRAIN, QUICK_TEST = 2048, 1000  # --quick: the first images of each set
QUICK_HELDOUT, HELDOUT = 100, 1000  # held-out non-digits of each source
DENSE_UNITS = 512  # the dense network's one hidden layer


@dataclass(frozen=True)
class Data:
    """A recipe's data, ready for the loop: (n, 28, 28) model inputs and their labels."""

    x_train: np.ndarray  # in the order the loop splits it: its first --val-split validates
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    sets: dict  # what the recipe's evaluation needs beyond the test set: arrays, or strips by set
    counts: dict[str, int]  # what the training set holds, for the card
    provenance: dict  # where it came from, for the card
    extra: Extra | None = None  # what people taught (--extra-data): its held-out part judges the model


@dataclass(frozen=True)
class Evaluation:
    metrics: dict  # the card's metrics
    not_a_digit: dict | None  # the card's not_a_digit block, for a task that rejects
    summary: str  # printed at the end of the run


@dataclass(frozen=True)
class Recipe:
    name: str  # --recipe
    task: Task
    stem: str  # the card's name, and its files': <stem>.keras, <stem>.tflite, <stem>_layers.tflite
    title: str  # short words for the page
    architecture: str  # the card's words for the network
    out: Path  # the default folder
    epochs: int  # the default epochs
    load: Callable[[Config], Mnist]  # raises DataError, before anything is trained or TensorFlow loaded
    prepare: Callable[[Config, Mnist], Data]
    evaluate: Callable[[Config, Data, Predictor, Path], Evaluation]  # also draws its plots
    stretched: float = 0.0  # augmenting, the share of training images stretched to fill their box
    label_smoothing: float = 0.0
    explain: bool = False  # writes the layers model that /explain runs
    predictor: Callable[[Path], Predictor] = LiteRTPredictor  # reads the exported .tflite
    output_meaning: str | None = None  # None: the task's classes' probabilities


def load_digits(config: Config) -> Mnist:
    """MNIST, after checking that the non-digits' sources (Fashion-MNIST, fonts) are there."""
    mnist = load_mnist(config.data_dir)
    load_fashion(config.fashion_dir)
    font_files(TRAIN_FONTS)
    font_files(HELDOUT_FONTS)
    if config.handwritten_repeat > 0:
        handwritten.load(config.handwritten)
    if config.extra_data is not None:
        load_extra(config.extra_data, config.seed)
    return mnist


def prepare_digits(config: Config, mnist: Mnist) -> Data:
    """MNIST's digits, drawn European 1s and 7s (MNIST has few), and non-digits of the
    training kinds as classes 10 and 11; held-out kinds of non-digit for evaluation."""
    x_train, y_train, x_test, y_test = mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test
    negatives_share, european = config.negatives, config.european_digits
    if config.quick:
        x_train, y_train = x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]
        x_test, y_test = x_test[:QUICK_TEST], y_test[:QUICK_TEST]
        negatives_share = negatives_share * QUICK_TRAIN / len(mnist.x_train)
        european = european * QUICK_TRAIN // len(mnist.x_train)
    print(f"preprocessing {len(x_train)} training and {len(x_test)} test images", flush=True)
    x_train, x_test = parallel.inputs(DIGITS, x_train), parallel.inputs(DIGITS, x_test)
    rng = np.random.default_rng(config.seed)
    makers = {1: european_one, 4: open_four, 7: european_seven, 9: looped_nine}
    drawn = [make(rng) for make in makers.values() for _ in range(european)]
    x_drawn = parallel.inputs(DIGITS, drawn) if drawn else np.zeros((0, SIZE, SIZE), np.float32)
    y_drawn = np.repeat(np.array(list(makers), np.uint8), european)
    x_negatives, y_negatives = (
        training_negatives(Counts().scaled(negatives_share), mnist.x_train, config.fashion_dir, config.seed)
        if negatives_share > 0
        else (np.zeros((0, SIZE, SIZE), np.float32), np.zeros(0, np.uint8))
    )
    heldout = heldout_negatives(
        mnist.x_test,
        config.fashion_dir,
        config.seed,
        QUICK_HELDOUT if config.quick else HELDOUT,
        config.handwritten if config.handwritten_repeat > 0 else None,
    )
    x_written, y_written = np.zeros((0, SIZE, SIZE), np.float32), np.zeros(0, np.uint8)
    if config.handwritten_repeat > 0:
        trained, _ = handwritten.split(handwritten.load(config.handwritten), config.seed)
        if config.quick:
            trained = trained.where(np.arange(len(trained.kinds)) < QUICK_TRAIN // 4)
        print(
            f"widening {len(trained.kinds)} handwritten letters and doodles x {config.handwritten_repeat}",
            flush=True,
        )
        x_written = np.concatenate(
            [handwritten.inputs(trained.images, x_train, rng) for _ in range(config.handwritten_repeat)]
        )
        y_written = np.full(len(x_written), NOT_A_DIGIT, np.uint8)
    print(
        f"training on {len(x_train)} MNIST digits, {len(x_drawn)} drawn digits of other traditions, "
        f"{len(x_negatives)} non-digits and {len(x_written)} handwritten ones",
        flush=True,
    )
    x = np.concatenate([x_train, x_drawn, x_negatives, x_written])
    y = np.concatenate([y_train, y_drawn, y_negatives, y_written])
    photos = config.paper * len(x_train) // len(mnist.x_train)
    print(f"photographing {photos} of them on paper", flush=True)
    x_paper, y_paper = paper.photographed(x, y, photos, rng)
    x, y = np.concatenate([x, x_paper]), np.concatenate([y, y_paper])
    extra = load_extra(config.extra_data, config.seed) if config.extra_data is not None else None
    if extra is not None:  # already the model's inputs (the 28x28 it read): not preprocessed again
        print(f"training on {len(extra.x_train)} collected examples x {config.extra_repeat}", flush=True)
        x_extra = np.repeat(extra.x_train.astype(np.float32) / 255, config.extra_repeat, axis=0)
        x = np.concatenate([x, x_extra])
        y = np.concatenate([y, np.repeat(extra.y_train.astype(y.dtype), config.extra_repeat)])
    # Mixed, so that a validation share (the first --val-split) holds every source.
    order = np.random.default_rng(config.seed).permutation(len(x))
    counts = {
        "train_digits": len(x_train),
        "train_drawn_digits": len(x_drawn),
        "train_non_digits": len(x_negatives),
        "train_handwritten_non_digits": len(x_written),
        "train_on_paper": len(x_paper),
        **({"train_collected": len(extra.x_train)} if extra is not None else {}),
    }
    return Data(
        x_train=x[order],
        y_train=y[order],
        x_test=x_test,
        y_test=y_test,
        sets=heldout,
        counts=counts,
        provenance={**mnist.provenance, "fashion_mnist": load_fashion(config.fashion_dir).provenance},
        extra=extra,
    )


def evaluate_digits(config: Config, data: Data, litert: Predictor, out: Path) -> Evaluation:
    """Digits as the service reads them (a rejected digit is an error) on MNIST's test
    set, USPS and Semeion; rejection of each held-out kind of non-digit."""
    photographed = QUICK_HELDOUT if config.quick else PAPER_IMAGES
    digits = digit_sets(data.x_test, data.y_test, config.usps, config.semeion, photographed)
    outputs = predicted(litert, digits)
    results = evaluate(litert, digits, data.sets, config.threshold, outputs)
    calibration = calibrate_sure(outputs, digits, config.threshold)
    results["sure"] = calibration["figures"]
    scores = results.pop("scores")
    mnist = results["mnist_test"]
    plot_confusion(
        mnist["confusion"], out / "confusion_matrix.png", f"MNIST test set: {mnist['accuracy']:.2%} right"
    )
    plot_scores(scores, DIGIT_SETS, config.threshold, out / "not_a_digit_scores.png")
    not_a_digit = {
        "threshold": config.threshold,
        "score": "the model's probability of 'not a digit' or 'several digits'; is_digit is false where "
        "it is >= threshold",
        "threshold_choice": "0.5: rejected when 'not a digit' is more probable than all ten digits "
        "together; metrics.sweep shows other thresholds on held-out data",
        "sure": calibration["sure"],
        "sure_choice": calibration["choice"],
        "training_sources": {
            "fonts": sorted(TRAIN_FONTS),
            "stroked_letters": list(TRAIN_HERSHEY),
            "doodles": sorted(set(DOODLES) - set(HELDOUT_DOODLES)),
            "fashion_classes": [label for c, label in enumerate(FASHION.labels) if c not in HELDOUT_FASHION],
            "numbers": "two or three MNIST training digits apart, touching or overlapping (class "
            "'several digits', which /read cuts)",
            "handwritten": f"letters and doodles people wrote ({config.handwritten.name}: "
            f"training.handwritten), widened to MNIST's pen, but for the kinds "
            f"{', '.join(handwritten.HELDOUT_KINDS)}, the source {', '.join(handwritten.HELDOUT_SOURCES)} "
            f"and {handwritten.HELDOUT_SHARE:.0%} of every other kind",
        },
        "heldout_sources": sorted(data.sets),
    }
    return Evaluation(metrics=results, not_a_digit=not_a_digit, summary=summary(results))


def load_clothes(config: Config) -> Mnist:
    """Fashion-MNIST's IDX files from --fashion-dir where it exists, else Keras' download."""
    if config.fashion_dir.is_dir():
        return load_fashion(config.fashion_dir)
    from training.tf import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except Exception as exc:  # the download's many failure types all mean the same here
        raise DataError(
            f"no Fashion-MNIST folder {config.fashion_dir} and could not download it "
            f"({type(exc).__name__}: {str(exc)[:120]}); apt-get install dataset-fashion-mnist, "
            "or pass --fashion-dir"
        ) from exc
    return Mnist(x_train, y_train, x_test, y_test, {"source": "keras.datasets.fashion_mnist.load_data()"})


def prepare_clothes(config: Config, clothes: Mnist) -> Data:
    """Fashion-MNIST through the clothes preprocessing, which leaves its images as they are."""
    x_train, y_train, x_test, y_test = clothes.x_train, clothes.y_train, clothes.x_test, clothes.y_test
    if config.quick:
        x_train, y_train = x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]
        x_test, y_test = x_test[:QUICK_TEST], y_test[:QUICK_TEST]
    print(f"preprocessing {len(x_train)} training and {len(x_test)} test images", flush=True)
    published = x_test / np.float32(255)  # the test images as the data set has them
    return Data(
        x_train=FASHION.inputs(x_train),
        y_train=y_train,
        x_test=FASHION.inputs(x_test),
        y_test=y_test,
        sets={"as_published": published},
        counts={},
        provenance=clothes.provenance,
    )


def class_scores(labels: np.ndarray, read: np.ndarray, classes: int) -> dict:
    confusion = np.bincount(labels.astype(np.int64) * classes + read, minlength=classes**2).reshape(
        classes, classes
    )
    return {
        "images": len(labels),
        "accuracy": float(np.mean(read == labels)),
        "per_class": (confusion.diagonal() / confusion.sum(axis=1).clip(min=1)).tolist(),
        "confusion": confusion.tolist(),
    }


def evaluate_clothes(config: Config, data: Data, litert: Predictor, out: Path) -> Evaluation:
    """Accuracy on Fashion-MNIST's test set through the served preprocessing, and as published."""
    labels = FASHION.labels
    scores = class_scores(data.y_test, litert.predict(data.x_test).argmax(axis=1), len(labels))
    as_published = float(np.mean(litert.predict(data.sets["as_published"]).argmax(axis=1) == data.y_test))
    plot_confusion(
        scores["confusion"],
        out / "confusion_matrix.png",
        f"Fashion-MNIST test set: {scores['accuracy']:.2%} right",
        labels=labels,
        noun="class",
    )
    per_class = ", ".join(
        f"{name} {share:.1%}" for name, share in zip(labels, scores["per_class"], strict=True)
    )
    return Evaluation(
        metrics={"test": scores, "test_accuracy_as_published": as_published},
        not_a_digit=None,
        summary=f"fashion_test: {scores['accuracy']:.2%} of {scores['images']} "
        f"(as published: {as_published:.2%}); per class: {per_class}",
    )


STRIP_NUMBERS = 36000  # composed numbers of 1 to 10 training digits
STRIP_NOT_NUMBERS = 6000  # lines of handwritten letters and doodles
STRIP_PAPER = 0.2  # the share photographed on paper
STRIP_HELDOUT = 500  # held-out numbers of each set
QUICK_STRIPS = 1000


def load_numbers(config: Config) -> Mnist:
    """MNIST, after checking that the handwritten non-digits are there."""
    mnist = load_mnist(config.data_dir)
    handwritten.load(config.handwritten)
    return mnist


def prepare_numbers(config: Config, mnist: Mnist) -> Data:
    """Numbers composed from MNIST's training digits and lines of handwritten letters and
    doodles (no digits), as strips; held out, numbers from MNIST's test digits (plain,
    touching, on paper) and lines of the held-out handwritten kinds."""
    rng = np.random.default_rng(config.seed)
    n, n_not, n_heldout = (
        (QUICK_STRIPS, QUICK_STRIPS // 6, QUICK_HELDOUT)
        if config.quick
        else (STRIP_NUMBERS, STRIP_NOT_NUMBERS, STRIP_HELDOUT)
    )
    trained, kept_apart = handwritten.split(handwritten.load(config.handwritten), config.seed)
    print(f"composing {n} numbers and {n_not} lines of letters and doodles", flush=True)
    written = strips.numbers(mnist.x_train, mnist.y_train, n, rng, on_paper=STRIP_PAPER)
    words = strips.not_numbers(trained.images, n_not, rng, on_paper=STRIP_PAPER)
    x, y = np.concatenate([written.x, words.x]), np.concatenate([written.y, words.y])
    order = rng.permutation(len(x))
    print("composing the held-out numbers, from MNIST's test digits", flush=True)
    plain = strips.numbers(mnist.x_test, mnist.y_test, n_heldout, rng, spacing="close", lengths=(1, 8))
    sets = {
        "mnist_test:apart": strips.numbers(
            mnist.x_test, mnist.y_test, n_heldout, rng, "apart", lengths=(1, 8)
        ),
        "mnist_test:touching": strips.numbers(
            mnist.x_test, mnist.y_test, n_heldout, rng, "touching", lengths=(2, 8)
        ),
        "mnist_test:paper": strips.numbers(
            mnist.x_test, mnist.y_test, n_heldout, rng, on_paper=1.0, held_out=True, lengths=(1, 8)
        ),
        "handwritten:heldout_kinds": strips.not_numbers(kept_apart.images, n_heldout, rng),
    }
    return Data(
        x_train=x[order],
        y_train=y[order],
        x_test=plain.x,
        y_test=plain.y,
        sets=sets,
        counts={"train_numbers": len(written.x), "train_not_numbers": len(words.x)},
        provenance=mnist.provenance,
    )


def evaluate_strips(config: Config, data: Data, reader: Predictor, out: Path) -> Evaluation:
    """Numbers read exactly by the exported reader, on each held-out set."""
    assert isinstance(reader, NumberReader)
    sets = {"mnist_test:close": strips.Strips(data.x_test, data.y_test), **data.sets}
    scores, not_numbers = {}, {}
    for name, (x, y) in ((name, (s.x, s.y)) for name, s in sets.items()):
        read = ["".join(str(c.digit) for c in characters) for characters in reader.read_strips(x)]
        truth = ["".join(str(d - 1) for d in row if d) for row in y]
        if name.startswith("handwritten"):
            not_numbers[name] = float(np.mean([r == "" for r in read]))
            continue
        scores[name] = {
            "numbers": len(truth),
            "exact": float(np.mean([r == t for r, t in zip(read, truth, strict=True)])),
            "digits_right": float(
                np.mean([digits_right(r, t) / len(t) for r, t in zip(read, truth, strict=True)])
            ),
        }
    lines = [f"{name:>24}: {s['exact']:.1%} of {s['numbers']} exact" for name, s in scores.items()]
    lines += [f"{name:>24}: {share:.1%} read as no digits" for name, share in not_numbers.items()]
    return Evaluation(
        metrics={"sets": scores, "not_numbers": not_numbers}, not_a_digit=None, summary="\n".join(lines)
    )


RECIPES = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            name="digits",
            task=DIGITS,
            stem="digits",
            title="CNN",
            architecture="cnn",
            out=Path("models/digits"),
            epochs=16,
            stretched=0.2,
            load=load_digits,
            prepare=prepare_digits,
            evaluate=evaluate_digits,
            explain=True,
        ),
        Recipe(
            name="dense",
            task=DIGITS,
            stem="dense",
            title="dense network",
            architecture=f"dense: one hidden layer of {DENSE_UNITS} ReLU units",
            out=Path("models/dense"),
            epochs=24,
            stretched=0.2,
            load=load_digits,
            prepare=prepare_digits,
            evaluate=evaluate_digits,
            explain=True,
        ),
        Recipe(
            name="numbers",
            task=NUMBERS,
            stem="numbers",
            title="strip reader",
            architecture=f"convolutions to one row of {STEPS} columns, 1-D convolutions across them, CTC",
            out=Path("models/numbers"),
            epochs=10,
            load=load_numbers,
            prepare=prepare_numbers,
            evaluate=evaluate_strips,
            predictor=NumberReader,
            output_meaning=f"for each of {STEPS} columns of 4 px, the probabilities of no digit (CTC's blank) "
            "then of 0-9",
        ),
        Recipe(
            name="fashion",
            task=FASHION,
            stem="fashion",
            title="CNN",
            architecture="cnn, reading the image and its mirror image (averaged)",
            out=Path("models/fashion"),
            epochs=15,
            label_smoothing=0.1,
            load=load_clothes,
            prepare=prepare_clothes,
            evaluate=evaluate_clothes,
        ),
    )
}
