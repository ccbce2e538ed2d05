"""A drawing of a number to its digits, left to right.

The ink's connected components are the start. Parts of one digit (the top bar of a
5 drawn as its own stroke, a broken 4 or 7) lie above one another, so components
that overlap horizontally are merged; specks far smaller than the digits are
dropped. Digits that touch make one component wider than a digit: cut points are
tried where the column profile is thinnest, and a cut is kept when the classifier
is surer of both halves than of the whole (which the not-a-digit class helps with:
two touching digits are "not a digit"). Each digit then goes through the same
`digit_input` as a single drawing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from app.errors import UnprocessableImage
from app.preprocess import digit_input, ink_field

WORK_SIDE = 512  # px: numbers are wide, so they get more pixels than one digit
# Pieces of one digit: parts overlapping across by more than MERGE_OVERLAP of the
# narrower's width but not upright (stacked), or a part shorter than FRAGMENT of the
# typical part's height, nearer than NEAR of that height to its neighbour.
MERGE_OVERLAP = 0.5
FRAGMENT = 0.6
NEAR = 0.25
SPECK = 0.08  # of the tallest part's height: smaller on both sides is noise
WIDE = 1.05  # width over height: above this a part may be two digits touching
MAX_CUTS = 6  # cut points tried per split
MAX_SPLIT_DEPTH = 3  # a part is split at most this many times over (up to 8 digits)
SURE_DIGIT = 0.5  # a half must be this probably one particular digit

# (n, 28, 28) model inputs -> (n,) how sure the classifier is that each is one digit
Judge = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Segment:
    box: tuple[int, int, int, int]  # x, y, width, height in the input image's pixels
    model_input: np.ndarray  # (28, 28)


@dataclass
class _Part:
    ink: np.ndarray  # the part's own ink, cropped to its box (zero where other parts are)
    top: int
    left: int

    @property
    def width(self) -> int:
        return self.ink.shape[1]

    @property
    def height(self) -> int:
        return self.ink.shape[0]

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def model_input(self) -> np.ndarray:
        return digit_input(self.ink)


def _part(ink: np.ndarray, top: int, left: int) -> _Part:
    """The part cropped to where its ink is."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return _Part(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], top + rows[0], left + cols[0])


def _components(ink: np.ndarray, max_parts: int) -> list[_Part]:
    labels, _ = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    boxes = ndimage.find_objects(labels)
    tallest = max(b[0].stop - b[0].start for b in boxes)
    widest = max(b[1].stop - b[1].start for b in boxes)
    # Specks of noise go before any per-part work, so a spray of dots costs little.
    kept = [(index, b) for index, b in enumerate(boxes, start=1)
            if b[0].stop - b[0].start >= SPECK * tallest or b[1].stop - b[1].start >= SPECK * widest]
    if len(kept) > max_parts:
        raise UnprocessableImage(f"{len(kept)} separate marks: too many to be a number")
    return [_Part(np.where(labels[b] == index, ink[b], 0), b[0].start, b[1].start) for index, b in kept]


def _merge(a: _Part, b: _Part) -> _Part:
    top, left = min(a.top, b.top), min(a.left, b.left)
    ink = np.zeros((max(a.bottom, b.bottom) - top, max(a.right, b.right) - left), dtype=np.float32)
    for part in (a, b):
        window = ink[part.top - top : part.bottom - top, part.left - left : part.right - left]
        np.maximum(window, part.ink, out=window)
    return _Part(ink, top, left)


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return min(a1, b1) - max(a0, b0)  # negative: the gap between them


def _merge_pieces(parts: list[_Part]) -> list[_Part]:
    """Merges the pieces of a digit: parts stacked above one another (digits stand
    side by side, never stacked), and fragments far shorter than a digit beside the
    part nearest to them (a 5's bar drawn apart, a stray bit of a broken stroke)."""
    parts = sorted(parts, key=lambda p: p.left)
    while len(parts) > 1:
        height = float(np.median([p.height for p in parts]))
        pairs = []
        for i, (a, b) in enumerate(zip(parts, parts[1:])):
            across = _overlap(a.left, a.right, b.left, b.right)
            upright = _overlap(a.top, a.bottom, b.top, b.bottom)
            stacked = across > MERGE_OVERLAP * min(a.width, b.width) and upright < MERGE_OVERLAP * min(a.height, b.height)
            fragment = min(a.height, b.height) < FRAGMENT * height and -across < NEAR * height
            if stacked or fragment:
                pairs.append((-across, i))
        if not pairs:
            break
        _, i = min(pairs)
        parts[i : i + 2] = [_merge(parts[i], parts[i + 1])]
        parts.sort(key=lambda p: p.left)
    return parts


def _cut(part: _Part, column: int) -> tuple[_Part, _Part] | None:
    """The part cut at a column (relative to the part)."""
    left, right = part.ink[:, :column], part.ink[:, column:]
    if not left.any() or not right.any():
        return None
    return _part(left, part.top, part.left), _part(right, part.top, part.left + column)


def _candidate_cuts(part: _Part) -> list[int]:
    """Columns in the middle of a part where the least ink crosses."""
    profile = (part.ink > 0).sum(axis=0).astype(np.float64)
    start, stop = int(part.width * 0.2), int(np.ceil(part.width * 0.8))
    if stop - start < 2:
        return []
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")[start:stop]
    order = np.argsort(smooth, kind="stable")
    chosen: list[int] = []
    for offset in order:
        if all(abs(offset - c) > part.width * 0.06 for c in chosen):
            chosen.append(int(offset))
        if len(chosen) == MAX_CUTS:
            break
    return [start + c for c in chosen]


def _split(part: _Part, judge: Judge, depth: int = 0) -> list[_Part]:
    """The part, or its halves split further, whichever the classifier is surer of."""
    if depth >= MAX_SPLIT_DEPTH or part.width <= WIDE * part.height:
        return [part]
    splits = [halves for c in _candidate_cuts(part) if (halves := _cut(part, c))]
    if not splits:
        return [part]
    inputs = np.stack([part.model_input()] + [half.model_input() for pair in splits for half in pair])
    sure = judge(inputs)
    whole, halves = sure[0], sure[1:].reshape(-1, 2)
    best = int(halves.min(axis=1).argmax())
    # Only what is not surely one digit is cut, and only into two sure digits: a wide
    # 6 stays a 6, and a doodle cut in two is two doodles, not a number.
    if whole >= SURE_DIGIT or halves[best].min() <= SURE_DIGIT:
        return [part]
    left, right = splits[best]
    return _split(left, judge, depth + 1) + _split(right, judge, depth + 1)


def segment(image: Image.Image, judge: Judge, max_digits: int) -> list[Segment]:
    """The digits of a drawn number, left to right; raises UnprocessableImage when
    there is no ink or more than `max_digits` parts."""
    ink, factor = ink_field(image, WORK_SIDE)
    parts = _merge_pieces(_components(ink, 4 * max_digits))
    if len(parts) > max_digits:
        raise UnprocessableImage(f"{len(parts)} separate parts: at most {max_digits} digits are read per image")
    parts = [digit for part in parts for digit in _split(part, judge)]
    if len(parts) > max_digits:
        raise UnprocessableImage(f"{len(parts)} digits: at most {max_digits} are read per image")
    width, height = image.size
    segments = []
    for part in sorted(parts, key=lambda p: p.left):
        x, y = part.left * factor, part.top * factor
        box = (x, y, min(part.right * factor, width) - x, min(part.bottom * factor, height) - y)
        segments.append(Segment(box, part.model_input()))
    return segments
