"""Strokes as the drawing page records them, drawn into the image the preprocessing reads.

The page sends its strokes rather than a PNG of its canvas: the browser spares the PNG's
encoding and the service its decoding. The strokes are drawn as the page draws them
(quadratic curves through the midpoints of the pointer's points, a round pen), dark on
white, at the size `preprocess` would reduce the canvas to anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from app.core.decode import decode
from app.core.errors import Code, Refusal
from app.core.limits import Limits
from app.core.preprocess import WORK_SIDE

CURVE_STEPS = 6  # points per quadratic segment: finer than a pixel at the work size
TURN = math.radians(20)  # a turn sharper than this gets a round join
MAX_SIDE = 4096  # px: the largest canvas an ink drawing may claim
MAX_POINTS = 20_000  # points in all strokes together
# Far past any drawing (a digit is 1-3 strokes of a few hundred points; the page sends a point
# per pointer event): what a request may make the service parse, before MAX_POINTS applies.
MAX_STROKES = 500
MAX_STROKE_POINTS = 5_000


@dataclass(frozen=True)
class Ink:
    width: float  # the canvas, in the same units as the points (the page: CSS pixels)
    height: float
    pen: float  # the pen's width
    strokes: list[list[tuple[float, float]]]  # each a list of (x, y) from the top left


def _curve(points: np.ndarray) -> np.ndarray:
    """The page's smoothing: from the first point, a quadratic curve through each inner point
    to the midpoint of it and the next, then a line to the last point."""
    if len(points) < 3:
        return points
    mids = (points[1:-2] + points[2:-1]) / 2
    starts = np.vstack([points[:1], mids])
    controls, ends = points[1:-1], np.vstack([mids, points[-2:-1]])
    t = np.linspace(0, 1, CURVE_STEPS + 1)[1:, None, None]
    curves = (1 - t) ** 2 * starts + 2 * (1 - t) * t * controls + t**2 * ends  # (steps, segments, 2)
    return np.vstack([points[:1], curves.transpose(1, 0, 2).reshape(-1, 2), points[-1:]])


def _turns(points: np.ndarray) -> np.ndarray:
    """The inner points where the line turns by more than TURN: the smoothed curve turns a
    little at each of its many points, where the gap a plain joint leaves is under a pixel."""
    before, after = points[1:-1] - points[:-2], points[2:] - points[1:-1]
    lengths = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
    cosine = (before * after).sum(axis=1) / np.maximum(lengths, 1e-12)
    return points[1:-1][(lengths > 0) & (cosine < math.cos(TURN))]


def render(ink: Ink) -> Image.Image:
    """The drawing as an 8-bit grey image, dark ink on white; raises Refusal (bad_ink) for
    a canvas under 1 unit or over MAX_SIDE a side, a pen wider than it, more points than
    MAX_POINTS, or points that are not numbers or lie more than a canvas away."""
    if not (
        1 <= ink.width <= MAX_SIDE
        and 1 <= ink.height <= MAX_SIDE
        and 0 < ink.pen <= max(ink.width, ink.height)
    ):
        raise Refusal(Code.BAD_INK, f"the canvas must be 1 to {MAX_SIDE} units a side, and the pen within it")
    if sum(map(len, ink.strokes)) > MAX_POINTS:
        raise Refusal(Code.BAD_INK, f"at most {MAX_POINTS} points in all strokes")
    points = np.asarray([p for stroke in ink.strokes for p in stroke], dtype=np.float64).reshape(-1, 2)
    canvas = np.array([ink.width, ink.height])
    if not (np.isfinite(points).all() and (points >= -canvas).all() and (points <= 2 * canvas).all()):
        raise Refusal(Code.BAD_INK, "points must be numbers, within a canvas's size of the canvas")
    scale = 1 / math.ceil(max(ink.width, ink.height) / WORK_SIDE)  # as ink_field reduces an image
    size = (max(1, math.ceil(ink.width * scale)), max(1, math.ceil(ink.height * scale)))
    image = Image.new("L", size, 255)
    image.info["scale"] = 1 / scale  # boxes found in it are given in the strokes' units
    pen = ImageDraw.Draw(image)
    width = ink.pen * scale
    for stroke in ink.strokes:
        if not stroke:
            continue
        points = _curve(np.asarray(stroke, dtype=np.float64) * scale)
        if len(points) > 1:
            pen.line(points.ravel().tolist(), fill=0, width=max(1, round(width)))
        # Round caps (and a dot, for a stroke of one point), and round joins where the line
        # turns: Pillow's own round joins draw every joint in Python, 5-15 ms a drawing.
        for x, y in points[[0, -1]].tolist() + _turns(points).tolist():
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    return image


Source = bytes | Ink  # what a request brings: an encoded image, or the page's strokes


def image_of(source: Source, limits: Limits) -> Image.Image:
    """The image to read: decoded within `limits`, or drawn from strokes."""
    return render(source) if isinstance(source, Ink) else decode(source, limits)
