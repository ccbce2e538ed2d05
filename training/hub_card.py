"""Each model folder's README.md, in the Hugging Face Hub's model card format: YAML
front matter (license, library, tags, data sets, and a model-index of results) and a
short body, made from the folder's model_card.json, the one source of truth. Training
writes it beside the card (training.fitting.run); after a card is edited by hand:

    python -m training.hub_card models models/dense models/fashion
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from app.core.card import ClassifierMetrics, DigitScores, Metrics, ModelCard, NumberMetrics
from app.core.tasks import NOT_A_DIGIT_LABELS

# The folders training writes (training.recipes), and the Hub's ids of their data sets.
FOLDERS = (Path("models/digits"), Path("models/dense"), Path("models/fashion"), Path("models/numbers"))
DIGIT_SETS = {  # the card's key: its name in words, and its type on the Hub
    "mnist_test": ("MNIST test", "mnist"),
    "usps": ("USPS", "usps"),
    "semeion": ("Semeion", "semeion"),
}
PAPER_SETS = {
    "paper_mnist_test": "MNIST test digits on paper",
    "paper_usps": "USPS on paper",
    "paper_semeion": "Semeion on paper",
}
WEAKEST = 3  # held-out kinds of non-digit named as the weakest rejected

Yaml = dict[str, "Yaml"] | list["Yaml"] | str | float | int
PLAIN = re.compile(r"[A-Za-z][\w.-]*")  # a string YAML reads as itself unquoted, unless a keyword
KEYWORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _scalar(value: str | float | int) -> str:
    """Plain where that is safe, else JSON, which is YAML too: quoted and escaped, so that
    no value can break the front matter."""
    if isinstance(value, str) and PLAIN.fullmatch(value) and value.lower() not in KEYWORDS:
        return value
    return json.dumps(value)


def _yaml(value: Yaml, indent: int = 0) -> list[str]:
    """Block-style YAML for dicts, lists and scalars."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                lines += [f"{pad}{key}:", *_yaml(item, indent + 2)]
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):  # its first key on the dash's line, the rest under it
                inner = _yaml(item, indent + 2)
                lines += [f"{pad}- {inner[0].lstrip()}", *inner[1:]]
            elif isinstance(item, list):
                lines += [f"{pad}-", *_yaml(item, indent + 2)]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return lines


def _folder(card: ModelCard) -> str:
    return f"models/{card.name}"


def _percent(share: float) -> str:
    return f"{share:.2%}"


def _result(task: str, name: str, kind: str, metrics: list[tuple[str, float, str]]) -> Yaml:
    return {
        "task": {"type": task},
        "dataset": {"name": name, "type": kind, "split": "test"},
        "metrics": [{"type": t, "value": round(v, 4), "name": n} for t, v, n in metrics],
    }


def _results(card: ModelCard) -> list[Yaml]:
    metrics = card.metrics
    if isinstance(metrics, Metrics):
        sets = {key: getattr(metrics, key) for key in DIGIT_SETS}
        return [
            _result(
                "image-classification",
                DIGIT_SETS[key][0],
                DIGIT_SETS[key][1],
                [("accuracy", scores.accuracy, "accuracy (a digit rejected as not a digit counts as wrong)")],
            )
            for key, scores in sets.items()
            if scores is not None
        ]
    if isinstance(metrics, ClassifierMetrics):
        return [
            _result(
                "image-classification",
                "Fashion-MNIST",
                "fashion_mnist",
                [
                    ("accuracy", metrics.test.accuracy, "accuracy, through the served preprocessing"),
                    ("accuracy", metrics.test_accuracy_as_published, "accuracy, on the images as published"),
                ],
            )
        ]
    return [
        _result(
            "image-to-text",
            f"numbers of MNIST test digits ({name})",
            "mnist",
            [("exact_match", s.exact, "exact")],
        )
        for name, s in metrics.sets.items()
    ]


def front_matter(card: ModelCard) -> Yaml:
    fashion = card.task == "fashion"
    tags: list[Yaml] = ["image-classification", "keras", "litert", "tflite", "digitpad"]
    tags += ["fashion-mnist"] if fashion else ["mnist", "handwritten-digits"]
    return {
        "license": "mit",
        "library_name": "keras",
        "tags": tags,
        "datasets": ["fashion_mnist"] if fashion else ["mnist"],
        "metrics": ["accuracy"],
        "model-index": [{"name": f"digitpad-{card.name}", "results": _results(card)}],
    }


def _scores_row(name: str, scores: DigitScores) -> str:
    return (
        f"| {name} | {scores.images:,} | {_percent(scores.accuracy)} | {_percent(scores.false_rejection)} |"
    )


def _digit_figures(metrics: Metrics, card_sure: float | None) -> list[str]:
    lines = [
        "| held-out set | images | accuracy | rejected as not a digit |",
        "|---|---|---|---|",
    ]
    named = {key: name for key, (name, _) in DIGIT_SETS.items()} | PAPER_SETS
    for key, name in named.items():
        scores = getattr(metrics, key)
        if scores is not None:
            lines.append(_scores_row(name, scores))
    lines += ["", "A digit rejected as not a digit counts as wrong. None of these images was trained on."]
    rejection = sorted(metrics.negatives.items(), key=lambda item: item[1].rejected)
    if rejection:
        mean = metrics.negatives_rejected_mean
        weakest = ", ".join(f"{name} {_percent(r.rejected)}" for name, r in rejection[:WEAKEST])
        lines += [
            "",
            "## Limitations",
            "",
            f"- **Not a digit**: it rejects {_percent(mean) if mean is not None else 'some'} of held-out kinds "
            f"of non-digit on average ({len(rejection)} kinds, at the threshold {metrics.threshold}), least "
            f"of all: {weakest}. What it does not reject, it reads as a digit.",
        ]
    else:
        lines += ["", "## Limitations", ""]
    if metrics.sure and card_sure is not None:
        figures = "; ".join(
            f"{name} {_percent(sure['sure_right'])} right, {_percent(sure['not_sure'])} not sure"
            for name, sure in metrics.sure.items()
        )
        lines.append(
            f"- **Sure answers** (a probability of at least {card_sure}), by held-out set: {figures}."
        )
    lines += [
        "- It reads one digit: several digits side by side are the output 'several digits' "
        "(the service's /read cuts a number into digits).",
        "- Photographed digits read worse than drawn ones (the paper rows above).",
    ]
    return lines


def _classifier_figures(card: ModelCard, metrics: ClassifierMetrics) -> list[str]:
    weakest = sorted(zip(card.labels, metrics.test.per_class, strict=True), key=lambda item: item[1])
    return [
        f"On Fashion-MNIST's {metrics.test.images:,} test images: {_percent(metrics.test.accuracy)} through "
        f"the served preprocessing, {_percent(metrics.test_accuracy_as_published)} on the images as published.",
        "",
        "## Limitations",
        "",
        "- Every image is read as one of the ten classes: nothing is rejected as not clothing.",
        "- Least accurate: "
        + ", ".join(f"{label} {_percent(share)}" for label, share in weakest[:WEAKEST])
        + ".",
        "- Trained on product photos on white: photos of worn clothes or busy backgrounds read worse.",
    ]


def _number_figures(metrics: NumberMetrics) -> list[str]:
    lines = ["| held-out numbers | numbers | read exactly | digits right |", "|---|---|---|---|"]
    lines += [
        f"| {name} | {s.numbers:,} | {_percent(s.exact)} | {_percent(s.digits_right)} |"
        for name, s in metrics.sets.items()
    ]
    lines += ["", "## Limitations", ""]
    lines += [
        f"- {name}: read as no digits at all {_percent(share)}."
        for name, share in metrics.not_numbers.items()
    ]
    return lines


def _training(card: ModelCard) -> str:
    counts = {
        key.removeprefix("train_").replace("_", " "): value
        for key, value in card.training.items()
        if key.startswith("train_") and key != "train_images" and isinstance(value, int)
    }
    parts = ", ".join(f"{name} {value:,}" for name, value in counts.items())
    data = "Fashion-MNIST's training set" if card.task == "fashion" else "MNIST's training set"
    images = card.training.get("train_images")
    total = f"{images:,} images" if isinstance(images, int) else "its images"
    return (
        f"Trained on {total}{f' ({parts})' if parts else ''}, built from {data}, for "
        f"{card.training.get('epochs_run', '?')} epochs from seed {card.training.get('seed', '?')}. "
        "The card's `training` has every flag of the run, and `data` the files' checksums."
    )


def _usage(card: ModelCard) -> list[str]:
    preprocess = "fashion_input" if card.task == "fashion" else "to_model_input"
    folder = _folder(card)
    if card.task == "numbers":
        return [
            "The service reads numbers with it (`POST /read`); from Python, `app.core.strip.NumberReader`.",
        ]
    return [
        "Served by digitpad (`make run`):",
        "",
        "```sh",
        f"curl -F file=@image.png 'http://127.0.0.1:8000/predict?model={card.name}'",
        "```",
        "",
        "From Python, with the service's preprocessing (its input is not a raw resized image):",
        "",
        "```python",
        "from pathlib import Path",
        "",
        "from PIL import Image",
        "",
        "from app.core.inference import LiteRTPredictor",
        f"from app.core.preprocess import {preprocess}",
        "",
        f'model = LiteRTPredictor(Path("{folder}/{card.name}.tflite"))',
        f'probabilities = model.predict({preprocess}(Image.open("image.png")))[0]',
        "```",
    ]


def hub_readme(card: ModelCard) -> str:
    """The README.md for the folder of `card`, in the Hub's format."""
    metrics = card.metrics
    if isinstance(metrics, Metrics):
        figures = _digit_figures(metrics, card.not_a_digit.sure if card.not_a_digit else None)
    elif isinstance(metrics, ClassifierMetrics):
        figures = _classifier_figures(card, metrics)
    else:
        figures = _number_figures(metrics)
    labels = [*card.labels, *(NOT_A_DIGIT_LABELS if card.not_a_digit is not None else ())]
    files = ", ".join(f"`{name}`" for name in card.files)
    lines = [
        "---",
        *_yaml(front_matter(card)),
        "---",
        "",
        f"# digitpad-{card.name}: {card.title or card.architecture}",
        "",
        f"digitpad's `{card.name}` model ({card.architecture}, {card.parameters:,} parameters), trained with "
        f"Keras and served through LiteRT. Version `{card.version}`, made {card.created[:10]}. This file is "
        "written from `model_card.json` beside it (`python -m training.hub_card`): edit that, not this.",
        "",
        *(
            [
                "**A smoke test** (`--quick`): trained on a few images for one epoch, its figures are poor by design.",
                "",
            ]
            if card.training.get("quick")
            else []
        ),
        "## Inputs and outputs",
        "",
        f"- Input: {tuple(card.input.shape)} {card.input.dtype}, {card.input.meaning}.",
        f"- Output: {tuple(card.output.shape)} {card.output.dtype}, {card.output.meaning}.",
        f"- Labels, in output order: {', '.join(labels)}.",
        f"- Files: {files} (the `.tflite` is what the service runs; LiteRT and Keras agree to "
        f"{card.litert_max_abs_difference:.1e}).",
        "",
        "## Training data",
        "",
        _training(card),
        "",
        "## Held-out figures",
        "",
        *figures,
        "",
        "## How to run it",
        "",
        *_usage(card),
        "",
    ]
    return "\n".join(lines)


def write_readme(folder: Path) -> Path:
    """(Re)writes folder/README.md from folder/model_card.json."""
    path = folder / "README.md"
    path.write_text(hub_readme(ModelCard.read(folder / "model_card.json")))
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "folders",
        nargs="*",
        type=Path,
        help="model folders with a model_card.json (default: those of models/, models/dense, "
        "models/fashion and models/numbers that have one)",
    )
    args = p.parse_args(argv)
    folders = args.folders or [folder for folder in FOLDERS if (folder / "model_card.json").is_file()]
    for folder in folders:
        if not (folder / "model_card.json").is_file():
            print(f"error: {folder}: no model_card.json", file=sys.stderr)
            return 2
        print(f"wrote {write_readme(folder)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
