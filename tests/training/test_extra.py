"""What people taught as training data (training.extra): split per profile into examples
to train on and examples held out to judge the model, no profile more than its share; and
`digitpad-train --init-from --extra-data`, a fine-tune that records them in its card."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from support.paths import MNIST_DIR, ROOT, needs_mnist
from training.data import DataError
from training.extra import load_extra


def exported(folder: Path, profiles: list[int], labels: list[str]) -> Path:
    """A folder as digitpad-data export writes it: one image per row, a stroke of its own."""
    (folder / "images").mkdir(parents=True)
    with (folder / "labels.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["id", "file", "label", "kind", "answer", "model", "model_version", "created", "profile"]
        )
        for i, (profile, label) in enumerate(zip(profiles, labels, strict=True), start=1):
            pixels = np.zeros((28, 28), np.uint8)
            pixels[4:24, 8 + i % 12] = 255
            Image.fromarray(pixels).save(folder / "images" / f"{i}.png")
            writer.writerow(
                [i, f"images/{i}.png", label, "example", label, "digits", "v", "2026-11-30", profile]
            )
    return folder


def test_each_profile_gives_a_quarter_to_judge_and_none_more_than_its_share(tmp_path):
    profiles = [1] * 40 + [2] * 8 + [3] * 8 + [4] * 8 + [5] * 8 + [6] * 8 + [7] * 8
    extra = load_extra(exported(tmp_path, profiles, ["1"] * 87 + ["not a digit"]), seed=1)
    assert extra.info["examples"] == 88 and extra.info["heldout"] == 22  # 10 of 40, 2 of each 8, 0 of 8
    assert sorted(extra.heldout_ids) == extra.info["heldout_ids"] and len(extra.x_heldout) == 22
    assert len(extra.x_train) + extra.info["left_out_by_the_profile_cap"] == 66
    trained = set(range(1, 89)) - set(extra.heldout_ids)
    assert (
        max(np.bincount([profiles[i - 1] for i in trained])[1:]) > len(extra.x_train) * 0.2
    )  # before the cap
    assert extra.info["train"] == len(extra.x_train) and extra.x_train.shape[1:] == (28, 28)
    assert extra.info["by_label"]["not a digit"] + extra.info["by_label"]["1"] == len(extra.x_train)


def test_a_folder_that_is_not_an_export_is_one_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"no labels\.csv"):
        load_extra(tmp_path, seed=1)


@pytest.mark.training
@needs_mnist()
def test_a_fine_tune_starts_from_the_served_weights_and_records_what_people_taught(tmp_path):
    export = exported(tmp_path / "export", [1, 1, 1, 1, 2, 2, 2, 2], ["7", "7", "1", "1", "4", "4", "0", "0"])
    out = tmp_path / "candidate"
    command = [
        sys.executable,
        "-m",
        "training.train",
        "--quick",
        "--init-from",
        str(ROOT / "models" / "digits"),
        "--only-head",
    ]
    command += ["--extra-data", str(export), "--data-dir", str(MNIST_DIR), "--out", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    card = json.loads((out / "model_card.json").read_text())
    extra = card["data"]["extra"]
    assert extra["examples"] == 8 and extra["heldout"] == 2 and len(extra["heldout_ids"]) == 2
    assert set(extra["heldout_accuracy"]) == {"candidate", "start"}
    assert (
        card["training"]["init_from"] == str(ROOT / "models" / "digits")
        and card["training"]["train_collected"] == 6
    )
    # From the served weights, one quick epoch keeps most of MNIST (from random: ~50%).
    assert card["metrics"]["mnist_test"]["accuracy"] > 0.9
    check = (
        "import keras, numpy, sys; a, b = (keras.saving.load_model(p, compile=False) for p in sys.argv[1:]); "
    )
    check += "print(*(bool(numpy.array_equal(x, y)) for x, y in zip(a.get_weights(), b.get_weights())))"
    same = subprocess.run(
        [
            sys.executable,
            "-c",
            check,
            str(ROOT / "models" / "digits" / "digits.keras"),
            str(out / "digits.keras"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout.split()
    assert same[0] == "True" and same[-1] == "False"  # the first convolution kept, the output layer trained
