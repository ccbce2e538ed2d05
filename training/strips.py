"""Numbers as people write them, for the strip reader (app.core.strip): 1 to 10 MNIST
digits in a line, apart, close, touching or overlapping, slanted, of uneven sizes and
baselines, on a clean canvas or photographed on paper (training.paper), each put
through the service's own preprocessing (ink field, then strip). With them, what is
not a number (handwritten letters in words, doodles, the synthetic non-digits) read as
no digits at all.

`compose` is shared with the evaluation (training.evaluate_numbers), which composes
its numbers from MNIST's *test* digits.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.core.errors import Refusal
from app.core.preprocess import ink_field
from app.core.strip import HEIGHT, WIDTH, strip_input
from training import paper, parallel
from training.negatives import ink_crop

DIGIT_HEIGHT = 40  # px of a digit in a composed number, before jitter
MOST_DIGITS = 10
SPACINGS = ("apart", "close", "touching")
GAPS = {"apart": (0.25, 0.6), "close": (0.05, 0.2), "touching": (-0.25, -0.02)}  # of a digit's height


@dataclass(frozen=True)
class Strips:
    x: np.ndarray  # (n, HEIGHT, WIDTH) float32
    y: np.ndarray  # (n, MOST_DIGITS) int32: digit d as d + 1, then 0s (CTC's blank pads)


def compose(
    digits: Sequence[np.ndarray],
    rng: np.random.Generator,
    spacing: str | None = None,
    height: int = DIGIT_HEIGHT,
) -> np.ndarray:
    """White-on-black digits (uint8 arrays, MNIST's) written in a line, as a uint8 image.
    `spacing`: every pair apart, close, or touching or overlapping ("all_touching"), or
    one pair touching or overlapping and the rest close ("touching"); None: each gap
    drawn from the three."""
    slant = rng.uniform(-0.25, 0.25)
    parts = []
    for digit in digits:
        crop = Image.fromarray(ink_crop(digit))
        size = height * rng.uniform(0.8, 1.2)
        width = max(2, round(crop.width * size / crop.height))
        upright = crop.resize((width, round(size)), Image.Resampling.BILINEAR)
        shear = round(abs(slant) * upright.height)
        slanted = upright.transform(
            (upright.width + shear, upright.height),
            Image.Transform.AFFINE,
            (1, slant, -shear if slant > 0 else 0, 0, 1, 0),
            Image.Resampling.BILINEAR,
        )
        parts.append(np.asarray(slanted))
    touching = int(rng.integers(len(parts) - 1)) if spacing == "touching" and len(parts) > 1 else -1
    margin = height // 2
    offsets, x = [], margin
    for i, part in enumerate(parts):
        offsets.append((x, margin + round(rng.uniform(-0.12, 0.12) * height)))
        kind = spacing if spacing in ("apart", "close") else "touching" if i == touching else "close"
        if spacing == "all_touching":
            kind = "touching"
        if spacing is None:
            kind = str(rng.choice(SPACINGS, p=(0.3, 0.4, 0.3)))
        x = max(x + 2, x + part.shape[1] + round(rng.uniform(*GAPS[kind]) * height))
    canvas = np.zeros((height * 2 + margin, x + margin + height), np.uint8)
    for (left, top), part in zip(offsets, parts, strict=True):
        window = canvas[top : top + part.shape[0], left : left + part.shape[1]]
        np.maximum(window, part[: window.shape[0], : window.shape[1]], out=window)
    return canvas


def word(letters: Sequence[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Handwritten letters (or doodles) side by side, as a word is written: no number."""
    return compose(letters, rng, "close")


def _strip(item: tuple[np.ndarray, int | None, bool]) -> np.ndarray | None:
    """The strip of a uint8 white-on-black image, as the service makes it, or of a photo
    of it on paper (made here, in a worker, from its seed, when one is given, in the
    held-out style where asked); None where the preprocessing finds no ink."""
    image, seed, held_out = item
    try:
        if seed is None:
            picture = Image.fromarray(255 - image)
        else:
            style = paper.HELDOUT if held_out else paper.TRAIN
            picture = Image.open(io.BytesIO(paper.photo_jpeg(image, np.random.default_rng(seed), style)))
        return strip_input(ink_field(picture)[0]).pixels
    except Refusal:
        return None


def strips(
    images: Sequence[np.ndarray], seeds: Sequence[int | None], held_out: bool = False
) -> list[np.ndarray | None]:
    """`_strip` of each image, photographed where it has a seed, on every core."""
    items = [(image, seed, held_out) for image, seed in zip(images, seeds, strict=True)]
    return parallel.mapped(_strip, items, parallel.SHARED_OUT_PHOTOS)


def targets(numbers: Sequence[Sequence[int]]) -> np.ndarray:
    y = np.zeros((len(numbers), MOST_DIGITS), np.int32)
    for row, number in zip(y, numbers, strict=True):
        row[: len(number)] = np.asarray(number) + 1
    return y


def made(
    images: list[np.ndarray], seeds: list[int | None], numbers: list[list[int]], held_out: bool = False
) -> Strips:
    """Strips and targets of the images (photographed where they have a seed) the
    preprocessing finds ink in."""
    kept = [(s, n) for s, n in zip(strips(images, seeds, held_out), numbers, strict=True) if s is not None]
    x = np.stack([s for s, _ in kept]) if kept else np.zeros((0, HEIGHT, WIDTH), np.float32)
    return Strips(x, targets([n for _, n in kept]))


def _seeds(n: int, share: float, rng: np.random.Generator) -> list[int | None]:
    """A photo's seed for `share` of `n` images, None (a clean canvas) for the rest."""
    return [int(rng.integers(2**31)) if rng.random() < share else None for _ in range(n)]


def numbers(
    digits: np.ndarray,
    labels: np.ndarray,
    n: int,
    rng: np.random.Generator,
    spacing: str | None = None,
    on_paper: float = 0.0,
    lengths: tuple[int, int] = (1, MOST_DIGITS),
    held_out: bool = False,
) -> Strips:
    """`n` numbers of `lengths` digits drawn from `digits`, `on_paper` of them photographed
    (in training.paper's held-out style, where `held_out`)."""
    images, truths = [], []
    for _ in range(n):
        chosen = rng.integers(len(labels), size=int(rng.integers(lengths[0], lengths[1] + 1)))
        images.append(compose([digits[i] for i in chosen], rng, spacing))
        truths.append([int(labels[i]) for i in chosen])
    return made(images, _seeds(n, on_paper, rng), truths, held_out)


def not_numbers(
    pieces: np.ndarray, n: int, rng: np.random.Generator, on_paper: float = 0.0, most: int = 6
) -> Strips:
    """`n` lines of 1 to `most` of `pieces` (uint8 white-on-black letters, doodles): no digits."""
    images = [
        word([pieces[i] for i in rng.integers(len(pieces), size=int(rng.integers(1, most + 1)))], rng)
        for _ in range(n)
    ]
    return made(images, _seeds(n, on_paper, rng), [[] for _ in images])
