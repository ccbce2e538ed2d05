"""`digitpad-data`: what people taught, as a data set for a person and for training.

    digitpad-data stats                   counts by label, kind and profile; the corrections' confusions
    digitpad-data export --out DIR        DIR/images/<id>.png, DIR/labels.csv, DIR/datasheet.md
    digitpad-data review --out sheet.png  the examples the served model disagrees with most
    digitpad-data drop ID [ID ...]        deletes examples (mislabelled, malicious)

The database is the service's (DIGITPAD_DATABASE_URL, or SQLite in DIGITPAD_DATA_DIR).
Profiles appear as numbers (1, 2, ... in the order of their first example): the export
names nobody."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from app.core.classifier import Classifier
from app.core.errors import Refusal
from app.core.tasks import DIGIT_LABELS, NOT_A_DIGIT, NOT_A_DIGIT_LABELS
from app.settings import get_settings
from app.store.examples import Examples, Stored, model_input

LABELS = (*DIGIT_LABELS, NOT_A_DIGIT_LABELS[0])  # what an example may be: a digit, or "not a digit"
COLUMNS = ["id", "file", "label", "kind", "answer", "model", "model_version", "created", "profile"]
TILE = 84  # a contact sheet's 28x28, three times


@dataclass(frozen=True)
class Row:
    """One example as the export has it."""

    example: Stored
    profile: int  # the profile's number, from 1

    @property
    def file(self) -> str:
        return f"images/{self.example.id}.png"

    @property
    def label(self) -> str:
        return LABELS[self.example.label]

    def csv(self) -> dict[str, object]:
        e = self.example
        return {
            "id": e.id,
            "file": self.file,
            "label": self.label,
            "kind": e.kind,
            "answer": e.answer,
            "model": e.model,
            "model_version": e.model_version,
            "created": e.created.isoformat(),
            "profile": self.profile,
        }


def rows(examples: Examples) -> list[Row]:
    numbers: dict[str, int] = {}
    return [
        Row(example, numbers.setdefault(profile, len(numbers) + 1))
        for profile, example in examples.everything()
    ]


def summary(kept: list[Row]) -> str:
    """Counts by label, kind and profile, the dates, and what people corrected, in Markdown."""
    if not kept:
        return "No examples.\n"
    labels = Counter(row.label for row in kept)
    kinds = Counter(row.example.kind for row in kept)
    profiles = Counter(row.profile for row in kept)
    confusions = Counter((row.example.answer, row.label) for row in kept if row.example.kind == "correction")
    dates = sorted(row.example.created for row in kept)
    largest = profiles.most_common(1)[0]
    lines = [
        f"{len(kept)} examples from {len(profiles)} profiles, {dates[0]:%Y-%m-%d %H:%M} to "
        f"{dates[-1]:%Y-%m-%d %H:%M} UTC.",
        "",
        "| label | " + " | ".join(LABELS) + " |",
        "|---|" + "---|" * len(LABELS),
        "| examples | " + " | ".join(str(labels.get(label, 0)) for label in LABELS) + " |",
        "",
        f"Taught: {kinds.get('example', 0)}; corrections: {kinds.get('correction', 0)}. "
        f"Per profile: median {int(np.median(list(profiles.values())))}, the most {largest[1]} "
        f"(profile {largest[0]}, {largest[1] / len(kept):.0%} of all).",
        "",
        "Corrections, the model's answer -> what the person said it is:" if confusions else "No corrections.",
    ]
    lines += [f"- {answer} -> {label}: {n}" for (answer, label), n in confusions.most_common()]
    return "\n".join(lines) + "\n"


def export(examples: Examples, out: Path) -> list[Row]:
    kept = rows(examples)
    (out / "images").mkdir(parents=True, exist_ok=True)
    for row in kept:
        (out / row.file).write_bytes(row.example.image)
    with (out / "labels.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, COLUMNS)
        writer.writeheader()
        writer.writerows(row.csv() for row in kept)
    (out / "datasheet.md").write_text(
        "# What people taught digitpad\n\n"
        "Each image is the 28x28 the model read (white ink on black, as MNIST), labelled by the "
        "person who drew it: taught in teach mode, or a reading they corrected. `labels.csv` has a "
        "row per image: its label, kind, the model's answer and version then, the time (UTC), and "
        "an anonymous profile number.\n\n" + summary(kept)
    )
    return kept


def disagreement(model: Classifier, kept: list[Row]) -> np.ndarray:
    """For each example, the model's probability of what the person said it is: low where
    the two disagree most (a hard example, or a wrong or malicious label)."""
    outputs = model.predictor.predict(np.stack([model_input(row.example.image) for row in kept]))
    labels = np.array([row.example.label for row in kept])
    rest = outputs[:, NOT_A_DIGIT:].sum(axis=1)
    return np.where(
        labels == NOT_A_DIGIT, rest, outputs[np.arange(len(kept)), np.minimum(labels, NOT_A_DIGIT - 1)]
    )


def contact_sheet(
    model: Classifier, kept: list[Row], top: int, columns: int = 8
) -> tuple[Image.Image, list[Row]]:
    """The `top` examples the model agrees with least, each captioned with its id, its label
    and the model's probability of that label."""
    agreement = disagreement(model, kept)
    chosen = [kept[i] for i in np.argsort(agreement, kind="stable")[:top]]
    rows_ = max(1, -(-len(chosen) // columns))
    sheet = Image.new("L", (columns * TILE, rows_ * (TILE + 14)), 255)
    pen = ImageDraw.Draw(sheet)
    for i, row in enumerate(chosen):
        x, y = (i % columns) * TILE, (i // columns) * (TILE + 14)
        tile = ImageOps.invert(Image.open(io.BytesIO(row.example.image)).convert("L")).resize(
            (TILE - 4, TILE - 4)
        )
        sheet.paste(tile, (x + 2, y + 2))
        p = agreement[kept.index(row)]
        pen.text((x + 2, y + TILE - 2), f"#{row.example.id} {row.label.split()[0]} {p:.0%}", fill=0)
    return sheet, chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="digitpad-data", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("stats", help="counts by label, kind and profile, and the corrections' confusions")
    out = commands.add_parser("export", help="the examples as PNGs, labels.csv and a datasheet")
    out.add_argument("--out", type=Path, required=True, help="the folder to write (made if missing)")
    review = commands.add_parser(
        "review", help="a contact sheet of the examples the model disagrees with most"
    )
    review.add_argument("--out", type=Path, required=True, help="the PNG to write")
    review.add_argument("--top", type=int, default=64, help="how many examples (default: %(default)s)")
    drop = commands.add_parser("drop", help="delete examples by id (as the review shows them)")
    drop.add_argument("ids", type=int, nargs="+")
    args = parser.parse_args(argv)

    settings = get_settings()
    examples = settings.store().examples
    try:
        if args.command == "stats":
            print(summary(rows(examples)), end="")
        elif args.command == "export":
            kept = export(examples, args.out)
            print(f"wrote {len(kept)} examples to {args.out}")
        elif args.command == "review":
            kept = rows(examples)
            if not kept:
                print("no examples to review")
                return 0
            model = Classifier.load("digits", settings.model_folder("digits"))
            sheet, chosen = contact_sheet(model, kept, args.top)
            sheet.save(args.out)
            print(f"wrote {args.out}: {len(chosen)} examples, the least agreed first")
            print("ids: " + " ".join(str(row.example.id) for row in chosen))
        else:
            print(f"dropped {examples.drop(args.ids)} examples")
    except Refusal as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
