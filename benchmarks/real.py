"""Real images by people outside the project (`../shared/data/real-dev`, validation only:
never trained on), read through POST /read and POST /predict of the running app (in
process), as the page and the API read them.

    python -m benchmarks.real [--data ../shared/data/real-dev] [--models models] [--sheet misses.png]

Digits, by kind of image (photo, scan, drawing): read right and accepted by /read, right
and sure, refused (by code), and "not sure". Non-digits: "not a number" from /read and
rejected by /predict, by kind. Numbers: exact. The misses go to a contact sheet: each
image beside the 28x28 it became, with what was read, for a person to look at.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from app.settings import Settings
from app.web.main import create_app
from training.evaluate import SHARED_DATA

REAL_DEV = SHARED_DATA / "real-dev"
THUMB = 112  # px: a miss and its 28x28 on the contact sheet, each this square
CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".bmp": "image/bmp"}


@dataclass
class Tally:
    images: int = 0
    right: int = 0  # read right and accepted
    sure: int = 0  # read right, accepted and sure
    unsure: int = 0  # accepted but not sure (right or not)
    refused: Counter[str] = field(default_factory=Counter)

    def row(self, name: str) -> str:
        refused = sum(self.refused.values())
        codes = ", ".join(f"{code} {n}" for code, n in self.refused.most_common()) or "-"
        return (
            f"| {name} | {self.images} | {self.right / self.images:.1%} | {self.sure / self.images:.1%} "
            f"| {self.unsure / self.images:.1%} | {refused} ({codes}) |"
        )


@dataclass
class Miss:
    path: Path
    said: str
    model_input: np.ndarray | None


def rows(folder: Path) -> Iterator[dict[str, str]]:
    with (folder / "labels.csv").open(newline="") as f:
        yield from csv.DictReader(f)


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def contact_sheet(misses: list[Miss], out: Path) -> None:
    """Each miss as it was sent, beside the 28x28 the model received, with what was read."""
    columns = 4
    cell_w, cell_h = 2 * THUMB + 8, THUMB + 16
    rows_ = max(1, -(-len(misses) // columns))
    sheet = Image.new("RGB", (columns * cell_w, rows_ * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for i, miss in enumerate(misses):
        x, y = (i % columns) * cell_w, (i // columns) * cell_h
        with Image.open(miss.path) as image:
            image.thumbnail((THUMB, THUMB))
            sheet.paste(image.convert("RGB"), (x, y))
        if miss.model_input is not None:
            seen = Image.fromarray((miss.model_input * 255).astype(np.uint8), "L")
            sheet.paste(
                seen.resize((THUMB, THUMB), Image.Resampling.NEAREST).convert("RGB"), (x + THUMB + 4, y)
            )
        draw.text((x, y + THUMB + 2), f"{miss.path.stem[-24:]}: {miss.said}", fill="black")
    sheet.save(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=REAL_DEV, help="the real-dev folder (default: %(default)s)"
    )
    parser.add_argument("--models", type=Path, default=None, help="folder of the digit model")
    parser.add_argument(
        "--sheet", type=Path, default=Path("real-misses.png"), help="the contact sheet of misses"
    )
    args = parser.parse_args(argv)

    settings = Settings() if args.models is None else Settings(model_dir=args.models)
    with TestClient(create_app(settings)) as client:

        def post(route: str, path: Path) -> tuple[int, dict]:
            answer = client.post(
                route,
                params={"include_input": "true"} if route == "/predict" else None,
                content=path.read_bytes(),
                headers={"content-type": content_type(path)},
            )
            return answer.status_code, answer.json()

        tallies: dict[str, Tally] = defaultdict(Tally)
        misses: list[Miss] = []
        for row in rows(args.data / "digits"):
            path = args.data / "digits" / row["file"]
            for kind in (row["kind"], "all"):
                tallies[kind].images += 1
            status, reading = post("/read", path)
            if status != 200:
                said = reading.get("code", str(status))
                for kind in (row["kind"], "all"):
                    tallies[kind].refused[said] += 1
            else:
                said = reading["number"] or f"none ({reading['reason']})"
                right = reading["number"] == row["label"]
                for kind in (row["kind"], "all"):
                    tallies[kind].right += right
                    tallies[kind].sure += right and reading["sure"]
                    tallies[kind].unsure += reading["number"] is not None and not reading["sure"]
                if right:
                    continue
            _, prediction = post("/predict", path)
            seen = prediction.get("input")
            misses.append(Miss(path, f"{row['label']} -> {said}", None if seen is None else np.asarray(seen)))

        print("Digits, by kind of image: read by /read\n")
        print("| kind | images | right and accepted | right and sure | not sure | refused (codes) |")
        print("|---|---|---|---|---|---|")
        for kind in ("photo", "scan", "drawing", "all"):
            if kind in tallies:
                print(tallies[kind].row(kind))

        rejected: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
        for row in rows(args.data / "notdigits"):
            path = args.data / "notdigits" / row["file"]
            read_status, reading = post("/read", path)
            predict_status, prediction = post("/predict", path)
            no_number = read_status != 200 or reading["number"] is None
            not_digit = predict_status != 200 or not prediction["is_digit"]
            for kind in (row["kind"], "all"):
                rejected[kind].append((no_number, not_digit))
            if not no_number:
                seen = prediction.get("input")
                misses.append(
                    Miss(
                        path,
                        f"{row['kind']} -> {reading['number']}",
                        None if seen is None else np.asarray(seen),
                    )
                )
        print("\nNon-digits, by kind\n")
        print("| kind | images | /read: not a number | /predict: not a digit |\n|---|---|---|---|")
        for kind, results in sorted(rejected.items(), key=lambda item: (item[0] == "all", item[0])):
            share = np.mean(results, axis=0)
            print(f"| {kind} | {len(results)} | {share[0]:.1%} | {share[1]:.1%} |")

        exact = []
        for row in rows(args.data / "numbers"):
            status, reading = post("/read", args.data / "numbers" / row["file"])
            exact.append(status == 200 and reading["number"] == row["number"])
        print(f"\nNumbers, read exactly by /read: {sum(exact)} of {len(exact)}")

    contact_sheet(misses, args.sheet)
    print(f"\n{len(misses)} misses: {args.sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
