"""A drawing of a number to its digits, left to right.

The ink's connected components (SciPy's `ndimage.label`) are the start; specks far
smaller than the digits are dropped. Pieces of one digit are merged: parts stacked
above one another (digits stand side by side, never stacked), and fragments far
shorter than a digit beside their nearest neighbour (a 5's top bar drawn apart).
Digits that touch make one component: when the classifier takes a part for several
digits (it learnt that class from touching and overlapping MNIST digits), or the whole
drawing may be several digits and the part is wide and not one, cut points are tried where the column profile is thinnest and few strokes cross, and
the cut whose halves it is surest of is kept if it is sure of both. Each digit then
goes through the same `digit_input` as a single drawing.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy import ndimage

from app.core.errors import Code, Refusal
from app.core.inference import CLASSES
from app.core.layout import several_as_a_whole, union
from app.core.preprocess import digit_input, ink_field
from app.core.tasks import NOT_A_DIGIT, SEVERAL_DIGITS

# Pieces of one digit: parts overlapping across by more than MERGE_OVERLAP of the
# narrower's width but not upright (stacked), or a part shorter than FRAGMENT of the
# typical part's height, nearer than NEAR of that height to its neighbour.
MERGE_OVERLAP = 0.5
FRAGMENT = 0.6
NEAR = 0.25
SPECK = 0.08  # of the tallest part's height: smaller on both sides is noise
NARROW = 0.5  # width over height: a part this narrow is one digit (or a 1), never cut
WIDE = 0.85  # width over height: a part this wide may be two digits
MAX_CUTS = 6  # cut points tried per split
MAX_CROSSINGS = 2  # strokes a cut may go through
MAX_SPLIT_DEPTH = 3  # a part is split at most this many times over (up to 8 digits)
SEVERAL = 0.8  # a part this probably several digits is cut (a scribble can pass for several at 0.7)
SURE_DIGIT = 0.5  # into halves each this probably one particular digit (or several again)
VERY_SURE_DIGIT = 0.9  # what a wide part that is not a digit must be cut into

# (n, 28, 28) model inputs -> the classifier's (n, 12) probabilities (app.core.inference)
Judge = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Segment:
    box: tuple[int, int, int, int]  # x, y, width, height in the input image's pixels
    model_input: np.ndarray  # (28, 28)
    outputs: np.ndarray  # (12,): what the judge said of it, so it need not be asked again


NOT_JUDGED = np.empty(0, np.float32)


@dataclass
class _Part:
    ink: np.ndarray  # the part's own ink, cropped to its box (zero where other parts are)
    top: int
    left: int
    outputs: np.ndarray = field(
        default_factory=lambda: NOT_JUDGED
    )  # the judge's (12,) probabilities, once asked

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

    @functools.cached_property
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
    kept = [
        (index, b)
        for index, b in enumerate(boxes, start=1)
        if b[0].stop - b[0].start >= SPECK * tallest or b[1].stop - b[1].start >= SPECK * widest
    ]
    if len(kept) > max_parts:
        raise Refusal(Code.TOO_MANY_DIGITS, f"{len(kept)} separate marks: too many to be a number")
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
        for i, (a, b) in enumerate(itertools.pairwise(parts)):
            across = _overlap(a.left, a.right, b.left, b.right)
            upright = _overlap(a.top, a.bottom, b.top, b.bottom)
            stacked = across > MERGE_OVERLAP * min(a.width, b.width) and upright < MERGE_OVERLAP * min(
                a.height, b.height
            )
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
    """Columns in the middle of a part where the least ink crosses, and at most
    MAX_CROSSINGS strokes: two touching digits meet in a stroke or two, while a
    column through the middle of a scribble crosses many."""
    mask = part.ink > 0
    profile = mask.sum(axis=0).astype(np.float64)
    crossings = (mask & ~np.vstack([np.zeros((1, part.width), bool), mask[:-1]])).sum(axis=0)
    start, stop = int(part.width * 0.2), int(np.ceil(part.width * 0.8))
    if stop - start < 2:
        return []
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")[start:stop]
    order = np.argsort(smooth, kind="stable")
    chosen: list[int] = []
    for offset in order:
        if crossings[start + offset] > MAX_CROSSINGS:
            continue
        if all(abs(offset - c) > part.width * 0.06 for c in chosen):
            chosen.append(int(offset))
        if len(chosen) == MAX_CUTS:
            break
    return [start + c for c in chosen]


def _split(
    part: _Part, outputs: np.ndarray, judge: Judge, whole_several: bool, depth: int = 0
) -> list[_Part]:
    """The part, or its halves split further. A part is cut when the classifier takes
    it for several digits and is sure of each half (a digit, or several again); or, when
    the whole drawing may be several digits and the part is wide and not a digit to the
    classifier, if it is very sure each half is a digit. A wide 6 stays a 6, and a
    letter or a T-shirt is not cut into a number."""
    several = outputs[SEVERAL_DIGITS] >= SEVERAL
    odd = whole_several and outputs[NOT_A_DIGIT] + outputs[SEVERAL_DIGITS] >= SEVERAL
    wide = part.width > WIDE * part.height
    if depth >= MAX_SPLIT_DEPTH or not ((several and part.width > NARROW * part.height) or (odd and wide)):
        return [part]
    if depth > 0 and not wide:  # a half as narrow as one digit is one digit
        return [part]
    splits = [halves for c in _candidate_cuts(part) if (halves := _cut(part, c))]
    if not splits:
        return [part]
    judged = judge(np.stack([half.model_input for pair in splits for half in pair])).reshape(-1, 2, CLASSES)
    sure = judged[..., :NOT_A_DIGIT].max(axis=-1)
    if several:
        sure = np.maximum(sure, judged[..., SEVERAL_DIGITS])
    best = int(sure.min(axis=1).argmax())
    if sure[best].min() <= (SURE_DIGIT if several else VERY_SURE_DIGIT):
        return [part]
    (left, right), (left.outputs, right.outputs) = splits[best], judged[best]
    return _split(left, left.outputs, judge, whole_several, depth + 1) + _split(
        right, right.outputs, judge, whole_several, depth + 1
    )


def segment(
    image: Image.Image,
    judge: Judge,
    max_digits: int,
    field: tuple[np.ndarray, int] | None = None,
    whole: np.ndarray | None = None,
) -> tuple[list[Segment], np.ndarray | None]:
    """The digits of a drawn number, left to right, and the judge's (12,) outputs for
    `whole`, the whole drawing's model input, if given (judged with the parts, in one
    call): parts that are not a digit are cut only where the whole may be several
    digits. Raises Refusal when there is no ink (no_ink) or more than `max_digits`
    parts (too_many_digits). `field` is the image's `ink_field`, if already found."""
    ink, factor = ink_field(image) if field is None else field
    parts = _merge_pieces(_components(ink, 4 * max_digits))
    if len(parts) > max_digits:
        raise Refusal(
            Code.TOO_MANY_DIGITS,
            f"{len(parts)} separate parts: at most {max_digits} digits are read per image",
        )
    inputs = [part.model_input for part in parts] + ([] if whole is None else [whole])
    outputs = judge(np.stack(inputs))
    for part, part_outputs in zip(parts, outputs, strict=False):
        part.outputs = part_outputs
    whole_outputs = None if whole is None else outputs[-1]
    box = union([(p.left, p.top, p.width, p.height) for p in parts])
    whole_several = whole_outputs is None or several_as_a_whole(box, whole_outputs)
    parts = [digit for part in parts for digit in _split(part, part.outputs, judge, whole_several)]
    if len(parts) > max_digits:
        raise Refusal(Code.TOO_MANY_DIGITS, f"{len(parts)} digits: at most {max_digits} are read per image")
    # Boxes in the sent image's pixels: the field was reduced by `factor`, and a JPEG
    # may have been decoded at a fraction of its size (app.core.decode).
    scale = factor * image.info.get("scale", 1.0)
    width, height = (
        round(image.width * image.info.get("scale", 1.0)),
        round(image.height * image.info.get("scale", 1.0)),
    )
    segments = []
    for part in sorted(parts, key=lambda p: p.left):
        x, y = round(int(part.left) * scale), round(int(part.top) * scale)
        box = (
            x,
            y,
            min(round(int(part.right) * scale), width) - x,
            min(round(int(part.bottom) * scale), height) - y,
        )
        segments.append(Segment(box, part.model_input, part.outputs))
    return segments, whole_outputs
