"""What people taught, as training data: the folder `digitpad-data export` writes
(images/<id>.png, the 28x28 the model read, and labels.csv), split per profile into
examples to train on and examples held out to judge the result, with no profile more than
a share of what is trained on: one person cannot steer the model."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.tasks import DIGIT_LABELS, NOT_A_DIGIT, NOT_A_DIGIT_LABELS
from training.data import DataError

LABELS = (*DIGIT_LABELS, NOT_A_DIGIT_LABELS[0])
HELDOUT = 0.25  # of each profile's examples, held out to judge the model
MAX_PROFILE_SHARE = 0.2  # of the examples trained on, from any one profile (when there are several)


@dataclass(frozen=True)
class Extra:
    x_train: np.ndarray  # (n, 28, 28) uint8, white ink on black (as MNIST)
    y_train: np.ndarray  # a digit, or NOT_A_DIGIT
    x_heldout: np.ndarray
    y_heldout: np.ndarray
    heldout_ids: list[int]  # the store's ids of the held-out examples: the promotion gate reads them again
    info: dict  # for the model card: where from, its hash, the counts


def digest(folder: Path) -> str:
    """The data's SHA-256: labels.csv, then each image in its order."""
    hash_ = hashlib.sha256((folder / "labels.csv").read_bytes())
    with (folder / "labels.csv").open() as file:
        for row in csv.DictReader(file):
            hash_.update((folder / row["file"]).read_bytes())
    return hash_.hexdigest()


def load_extra(
    folder: Path, seed: int, heldout: float = HELDOUT, max_profile_share: float = MAX_PROFILE_SHARE
) -> Extra:
    """Raises DataError for a folder that is not an export."""
    if not (folder / "labels.csv").is_file():
        raise DataError(f"{folder}: no labels.csv (write one with digitpad-data export --out {folder})")
    with (folder / "labels.csv").open() as file:
        rows = list(csv.DictReader(file))
    try:
        images = (
            np.stack([np.asarray(Image.open(folder / row["file"]).convert("L"), np.uint8) for row in rows])
            if rows
            else np.empty((0, 28, 28), np.uint8)
        )
        labels = np.array([LABELS.index(row["label"]) for row in rows], np.int64)
        ids = np.array([int(row["id"]) for row in rows], np.int64)
        profiles = np.array([int(row["profile"]) for row in rows], np.int64)
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{folder}: not an export of digitpad-data: {exc}") from exc
    if images.shape[1:] != (28, 28):
        raise DataError(f"{folder}: images must be 28x28, as digitpad-data exports them")
    rng = np.random.default_rng(seed)
    train, held = [], []
    for profile in np.unique(profiles):
        mine = rng.permutation(np.flatnonzero(profiles == profile))
        cut = round(len(mine) * heldout)
        held += mine[:cut].tolist()
        train += mine[cut:].tolist()
    train_rows = np.array(sorted(train), np.int64)
    capped = _capped(train_rows, profiles, max_profile_share, rng)
    held_rows = np.array(sorted(held), np.int64)
    info = {
        "folder": str(folder),
        "sha256": digest(folder),
        "examples": len(rows),
        "profiles": len(np.unique(profiles)),
        "train": len(capped),
        "heldout": len(held_rows),
        "left_out_by_the_profile_cap": len(train_rows) - len(capped),
        "max_profile_share": max_profile_share,
        "by_label": {LABELS[i]: int((labels[capped] == i).sum()) for i in range(len(LABELS))},
        "heldout_ids": ids[held_rows].tolist(),
    }
    return Extra(
        images[capped], labels[capped], images[held_rows], labels[held_rows], ids[held_rows].tolist(), info
    )


def _capped(rows: np.ndarray, profiles: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """`rows` with no profile above `share` of them (or an equal share, where there are too few
    profiles for that): the largest profiles trimmed, at random."""
    owners = profiles[rows]
    counts = {int(p): int((owners == p).sum()) for p in np.unique(owners)}
    share = max(share, 1 / max(len(counts), 1))
    # The most a profile may keep: the largest m with m <= share * (the total when each keeps at most m).
    limit = max(counts.values(), default=0)
    while limit > 1 and limit > share * sum(min(c, limit) for c in counts.values()):
        limit -= 1
    kept = [rng.choice(rows[owners == p], min(n, limit), replace=False) for p, n in counts.items()]
    return np.sort(np.concatenate(kept))


def accuracy(outputs: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    """The share read as the person labelled it: the digit, not rejected; or rejected."""
    rejected = outputs[:, NOT_A_DIGIT:].sum(axis=1) >= threshold
    digit = outputs[:, :NOT_A_DIGIT].argmax(axis=1)
    right = np.where(labels == NOT_A_DIGIT, rejected, ~rejected & (digit == labels))
    return float(right.mean()) if len(labels) else float("nan")
