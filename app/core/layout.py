"""Whether the parts of a drawing are laid out like the digits of a number: side by
side, left to right, on a shared baseline, of similar heights, none inside another.
A doodle drawn in several strokes (a house and its door, a face and its eyes, an
animal) fails one of these, however much each part looks like a digit."""

from __future__ import annotations

import itertools

import numpy as np

from app.core.tasks import NOT_A_DIGIT, SEVERAL_DIGITS

Box = tuple[int, int, int, int]  # x, y, width, height

SHORT = 0.45  # of the tallest part's height: a shorter part is not a digit of the same number
OFF_LINE = 0.5  # of a part's height: at most this much of it outside the band the others share
OVERLAP = 0.5  # of the narrower part's width: neighbours overlap across at most this much
# The model's view of the whole drawing (28x28) shows digits no wider than this many times
# their height: a longer number is squeezed into a smudge, and its parts speak for it.
WHOLE_VIEW = 3.0


def union(boxes: list[Box]) -> Box:
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return left, top, right - left, bottom - top


def several_as_a_whole(box: Box, outputs: np.ndarray) -> bool:
    """Whether the whole drawing (its ink's box, the model's 12 outputs for it) may be
    several digits: the model takes it for several rather than for something else, or it
    is too long for the model's view to tell."""
    _, _, width, height = box
    return width > WHOLE_VIEW * height or bool(outputs[SEVERAL_DIGITS] >= outputs[NOT_A_DIGIT])


def _inside(inner: Box, outer: Box) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def layout_problem(boxes: list[Box]) -> str | None:
    """Why parts (left to right) are not the digits of one number, in words; None if they may be."""
    if len(boxes) < 2:
        return None
    heights = np.array([h for _, _, _, h in boxes], dtype=np.float64)
    tops = np.array([y for _, y, _, _ in boxes], dtype=np.float64)
    if heights.min() < SHORT * heights.max():
        return "its parts are of very different sizes, unlike the digits of a number"
    top, bottom = np.median(tops), np.median(tops + heights)
    outside = np.maximum(top - tops, 0) + np.maximum(tops + heights - bottom, 0)
    if (outside > OFF_LINE * heights).any():
        return "its parts are not on one line, as the digits of a number are"
    for a, b in itertools.permutations(boxes, 2):
        if _inside(a, b):
            return "a part lies inside another, unlike the digits of a number"
    for a, b in itertools.pairwise(boxes):
        across = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
        if across > OVERLAP * min(a[2], b[2]):
            return "its parts overlap, unlike the digits of a number"
    return None
