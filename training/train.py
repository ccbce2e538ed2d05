r"""Trains one of digitpad's models by its recipe (training/recipes.py) and writes it,
its model card and its plots to the recipe's folder.

    digitpad-train --data-dir ../shared/data/mnist                  # the digit CNN, into models/
    digitpad-train --recipe dense --data-dir ../shared/data/mnist   # the dense network, into models/dense/
    digitpad-train --recipe fashion                                  # the clothes CNN, into models/fashion/
    digitpad-train --quick --out /tmp/try                            # a smoke test: poor figures by design
    digitpad-train --init-from models/digits --extra-data /tmp/export --epochs 2 --learning-rate 2e-4 \
        --data-dir ../shared/data/mnist --out /tmp/candidate             # fine-tuned on what people taught

Every knob is a flag, its default and its help in the config below (the epochs and the
folder are the recipe's), and the card records them all. Without --data-dir, MNIST comes
from Keras' download. Run the same command again after an interruption and it resumes from
the last finished epoch. A digit model's outputs: <name>.keras, <name>.tflite (what
the service runs), <name>_layers.tflite (every layer's output, for /explain),
model_card.json, history.csv, learning_curves.png, confusion_matrix.png and
not_a_digit_scores.png; the clothes model's, the same but the last and the layers.
"""

from __future__ import annotations

import argparse
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from training.data import DataError
from training.evaluate import DEFAULT_SEMEION, DEFAULT_USPS, SHARED_DATA, THRESHOLD
from training.extra import HELDOUT, MAX_PROFILE_SHARE
from training.negatives import FASHION_DIR, Counts
from training.recipes import QUICK_TEST, QUICK_TRAIN, RECIPES


class Config(BaseModel):
    """A run's settings, a field for each flag (batch_size: --batch-size), with its default
    and its help. Built once from the command line (parse_args), read by the recipe and
    the loop, and recorded whole in the model card."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recipe: str = Field(
        "digits", description=f"the model to train: {', '.join(RECIPES)} (default: %(default)s)"
    )
    data_dir: Path | None = Field(
        None, description="folder with MNIST's four IDX files (.gz or not); default: Keras' download"
    )
    out: Path = Field(  # no default here: the recipe's, or the flag's
        description="output folder (default: the recipe's: "
        f"{', '.join(f'{r.out} for {r.name}' for r in RECIPES.values())})"
    )
    epochs: int = Field(
        description=f"default: the recipe's ({', '.join(f'{r.epochs} for {r.name}' for r in RECIPES.values())}), "
        "or 1 with --quick"
    )
    batch_size: int = Field(128)
    learning_rate: float = Field(2e-3, description="at the start of the cosine schedule")
    seed: int = Field(1234)
    # The shipped digit model trains on all its images for a fixed cosine schedule. With
    # 3,000 held out for early stopping, the same run scored 99.56% on MNIST's test set and
    # 97.81% on USPS, against 99.64% and 98.11%.
    val_split: float = Field(
        0.0, description="share of the training set held out for early stopping (default: %(default)s, none)"
    )
    # A safeguard: validation loss on a few thousand images is noisy while the rate is high.
    patience: int = Field(10, description="epochs without progress before stopping")
    no_augment: bool = Field(False, description="train on the images as they are")
    fashion_dir: Path = Field(
        FASHION_DIR,
        description="Fashion-MNIST's IDX files: non-digits for the digit recipes, the data set for fashion "
        "(Keras' download where the folder is missing) (default: %(default)s)",
    )
    negatives: float = Field(
        1.0,
        description="digit recipes: non-digits to train with, as a multiple of "
        f"{sum(Counts().__dict__.values())} (default: %(default)s; 0: none)",
    )
    paper: int = Field(  # about one in six
        15000,
        description="digit recipes: training images (digits and non-digits alike) to add again as "
        "photographed or scanned on paper (training.paper) (default: %(default)s)",
    )
    european_digits: int = Field(  # MNIST has few
        1500,
        description="digit recipes: drawn flagged 1s, and as many open 4s, crossed 7s and looped 9s, to "
        "add (default: %(default)s)",
    )
    handwritten: Path = Field(
        SHARED_DATA / "negatives",
        description="digit recipes: real handwritten letters and doodles (letters.npz, doodles.npz), "
        "trained on as non-digits but for their held-out kinds and sources (default: %(default)s)",
    )
    handwritten_repeat: int = Field(  # at two pen widths: about 23,000
        2,
        description="digit recipes: copies of each handwritten non-digit, each widened to another pen "
        "(default: %(default)s; 0: none)",
    )
    threshold: float = Field(
        THRESHOLD,
        description="digit recipes: not a digit when its probability is at least this (default: %(default)s)",
    )
    init_from: Path | None = Field(
        None,
        description="start from the weights of the model in this folder (a fine-tune; e.g. models), "
        "not at random",
    )
    only_head: bool = Field(
        False,
        description="with --init-from: train only the dense layers at the top, the convolutions as they are",
    )
    extra_data: Path | None = Field(  # "%%" in its help: argparse formats it, and a lone % fails
        None,
        description="digit recipes: examples people taught, as `digitpad-data export` writes them, "
        f"trained on besides MNIST; {HELDOUT:.0%}% of each profile's held out to judge the model, and "
        f"no profile more than {MAX_PROFILE_SHARE:.0%}% of the rest",
    )
    extra_repeat: int = Field(  # a few hundred examples among 107,000
        10, description="times each collected example is trained on per epoch (default: %(default)s)"
    )
    usps: Path = Field(DEFAULT_USPS, description="USPS test file, evaluation only")
    semeion: Path = Field(DEFAULT_SEMEION, description="Semeion file, evaluation only")
    quick: bool = Field(
        False,
        description=f"smoke test: {QUICK_TRAIN} training images, {QUICK_TEST} test images, 1 epoch; "
        "its figures are meant to be poor",
    )

    def recorded(self) -> dict[str, float | int | bool | str]:
        """Every setting, for the card. An unset one (None: MNIST from Keras' download)
        is left out; the card's data says where the data came from."""
        return self.model_dump(mode="json", exclude_none=True)


def parser() -> argparse.ArgumentParser:
    """A flag for each field of Config: a switch for a bool, else of the field's type
    (Path for `Path | None`), with its default, or None for the recipe's."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, field in Config.model_fields.items():
        flag = "--" + name.replace("_", "-")
        if field.annotation is bool:
            p.add_argument(flag, action="store_true", help=field.description)
            continue
        hint: Any = field.annotation  # a class, or one with None: Path | None
        kind, *_ = typing.get_args(hint) or [hint]
        default = None if field.is_required() else field.default
        choices = RECIPES if name == "recipe" else None
        p.add_argument(flag, type=kind, default=default, choices=choices, help=field.description)
    return p


def parse_args(argv: list[str] | None) -> Config:
    args = parser().parse_args(argv)
    recipe = RECIPES[args.recipe]
    if args.epochs is None:
        args.epochs = 1 if args.quick else recipe.epochs
    if args.out is None:
        args.out = recipe.out
    return Config(**vars(args))


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    recipe = RECIPES[config.recipe]
    try:  # before anything is trained, or TensorFlow loaded: a wrong folder fails in one line, at once
        source = recipe.load(config)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Imported here, not at the top: the loop needs Keras, and TensorFlow's seconds of
    # loading (training.tf) come only once the arguments and the data are checked.
    from training.fitting import run

    run(recipe, config, source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
