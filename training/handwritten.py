"""What people really write that is not a digit: handwritten letters (Latin and Greek) and
Quick, Draw! doodles from `../shared/data/negatives` (its README gives the sources and
licences), for the "not a digit" class beside the synthetic negatives.

Their strokes are much thinner than MNIST's (4-8% of the pixels above 0.5, against 11%),
so each is widened before the shared preprocessing, by the pen that brings its share of
ink nearest to that of an MNIST digit drawn at random: the model learns what they are,
not how thin they are.

Held out, never trained on, for the card's figures: whole kinds (some letters, some
doodles), a whole source (CodingTrain's "train" doodles), and a random share of every
trained kind. Letters that people write like digits (S, s, Z, z: 5 and 2) are left out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from app.core.preprocess import to_model_input
from training import parallel
from training.data import DataError

FILES = ("letters.npz", "doodles.npz")
HELDOUT_KINDS = (
    "greek-lambda",
    "greek-xi",
    "greek-zeta",
    "greek-kappa",
    "capital-K",
    "capital-R",
    "lowercase-h",
    "lowercase-q",
    "doodle-umbrella",
    "doodle-sun",
    "doodle-eyeglasses",
)
HELDOUT_SOURCES = ("CodingTrain/Toy-Neural-Network-JS",)
HELDOUT_SHARE = 0.2  # of each trained kind's images
UPSCALE = 4  # widened at this many times their 28 px, so that the pen grows by a quarter pixel
PENS = (0, 1, 2, 3, 4, 5)  # radii of the pen, in upscaled pixels
MNIST_SHARES = 2000  # MNIST training digits whose share of ink the widened strokes aim for


@dataclass(frozen=True)
class Handwritten:
    """(n, 28, 28) uint8 white-on-black images, their kinds ("greek-beta") and sources."""

    images: np.ndarray
    kinds: np.ndarray
    sources: np.ndarray

    def where(self, keep: np.ndarray) -> Handwritten:
        return Handwritten(self.images[keep], self.kinds[keep], self.sources[keep])


def load(folder: Path) -> Handwritten:
    """Both files of `folder`, without the digit-like letters; raises DataError if missing."""
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise DataError(f"real negatives not found in {folder}: {', '.join(missing)}")
    parts = []
    for name in FILES:
        with np.load(folder / name) as data:
            keep = ~data["digit_like"] if "digit_like" in data else np.ones(len(data["labels"]), bool)
            parts.append(Handwritten(data["images"][keep], data["labels"][keep], data["source"][keep]))
    return Handwritten(
        np.concatenate([p.images for p in parts]),
        np.concatenate([p.kinds for p in parts]).astype(str),
        np.concatenate([p.sources for p in parts]).astype(str),
    )


def split(data: Handwritten, seed: int) -> tuple[Handwritten, Handwritten]:
    """(trained, held out): held-out kinds and sources, and HELDOUT_SHARE of the rest."""
    apart = np.isin(data.kinds, HELDOUT_KINDS) | np.isin(data.sources, HELDOUT_SOURCES)
    drawn = np.random.default_rng(seed).random(len(data.kinds)) < HELDOUT_SHARE
    return data.where(~apart & ~drawn), data.where(apart | drawn)


def _widened(image: np.ndarray, target: float) -> np.ndarray:
    """The model input of `image` with the pen whose share of ink above 0.5 is nearest `target`."""
    big = np.asarray(
        Image.fromarray(image).resize((28 * UPSCALE, 28 * UPSCALE), Image.Resampling.BILINEAR), np.uint8
    )
    best, best_gap = None, np.inf
    for radius in PENS:
        pen = big if radius == 0 else ndimage.grey_dilation(big, footprint=_disc(radius))
        candidate = to_model_input(Image.fromarray(pen, "L"))
        gap = abs(np.count_nonzero(candidate > 0.5) / candidate.size - target)
        if gap >= best_gap:
            break  # the share only grows with the pen
        best, best_gap = candidate, gap
    assert best is not None
    return best


@functools.cache
def _disc(radius: int) -> np.ndarray:
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return xx**2 + yy**2 <= radius**2 + radius


def _widened_pair(item: tuple[np.ndarray, float]) -> np.ndarray:
    return _widened(*item)


def inputs(images: np.ndarray, mnist_inputs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 28, 28) model inputs of `images`, each widened to the ink share of a random MNIST
    digit's model input (from `mnist_inputs`), on every core."""
    sample = mnist_inputs[rng.choice(len(mnist_inputs), size=min(MNIST_SHARES, len(mnist_inputs)))]
    shares = np.count_nonzero(sample > 0.5, axis=(1, 2)) / sample[0].size
    targets = rng.choice(shares, size=len(images))
    return np.stack(parallel.mapped(_widened_pair, list(zip(images, targets, strict=True))))


def heldout_sets(
    kept_apart: Handwritten, mnist_inputs: np.ndarray, rng: np.random.Generator, per_set: int
) -> dict[str, np.ndarray]:
    """The held-out images as model inputs, by set: each held-out kind and source, and the
    held-out share of the trained kinds; at most `per_set` of each."""
    groups = {f"handwritten:{kind}": kept_apart.kinds == kind for kind in HELDOUT_KINDS}
    groups |= {f"handwritten:source:{source}": kept_apart.sources == source for source in HELDOUT_SOURCES}
    apart = np.isin(kept_apart.kinds, HELDOUT_KINDS) | np.isin(kept_apart.sources, HELDOUT_SOURCES)
    letters = ~np.char.startswith(kept_apart.kinds, "doodle")
    groups["handwritten:trained_kinds:letters"] = ~apart & letters
    groups["handwritten:trained_kinds:doodles"] = ~apart & ~letters
    sets = {}
    for name, members in groups.items():
        chosen = np.flatnonzero(members)
        if chosen.size:
            chosen = np.sort(rng.choice(chosen, size=min(per_set, chosen.size), replace=False))
            sets[name] = inputs(kept_apart.images[chosen], mnist_inputs, rng)
    return sets
