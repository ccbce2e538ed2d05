"""Digits drawn the way people draw them on a pad, for the tests."""

from __future__ import annotations

import io
import math
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

# Strokes of a few digits in a unit square, (x, y) from the top left.
STROKES = {
    1: [[(0.5, 0.1), (0.5, 0.9)]],
    4: [[(0.6, 0.1), (0.2, 0.6), (0.8, 0.6)], [(0.6, 0.3), (0.6, 0.9)]],
    7: [[(0.25, 0.15), (0.75, 0.15), (0.4, 0.9)]],
    0: [
        [
            (0.5 + 0.28 * c, 0.5 + 0.4 * s)
            for c, s in [
                (1, 0),
                (0.7, 0.7),
                (0, 1),
                (-0.7, 0.7),
                (-1, 0),
                (-0.7, -0.7),
                (0, -1),
                (0.7, -0.7),
                (1, 0),
            ]
        ]
    ],
    2: [[(0.25, 0.3), (0.4, 0.12), (0.65, 0.15), (0.72, 0.35), (0.25, 0.9), (0.78, 0.9)]],
    # The top bar as a stroke of its own, apart from the body, as many people write a 5.
    5: [
        [(0.4, 0.08), (0.75, 0.08)],
        [(0.3, 0.12), (0.28, 0.45), (0.55, 0.38), (0.72, 0.55), (0.68, 0.8), (0.5, 0.9), (0.28, 0.82)],
    ],
    6: [
        [
            (0.65, 0.1),
            (0.35, 0.45),
            (0.3, 0.7),
            (0.45, 0.9),
            (0.65, 0.85),
            (0.7, 0.65),
            (0.5, 0.52),
            (0.33, 0.62),
        ]
    ],
}


def _curve(
    x: Callable[[float], float], y: Callable[[float], float], steps: int = 24
) -> list[tuple[float, float]]:
    return [(x(2 * math.pi * i / steps), y(2 * math.pi * i / steps)) for i in range(steps + 1)]


# An 8 in one stroke, a figure of eight as a pen writes it.
STROKES[8] = [_curve(lambda t: 0.5 + 0.24 * math.sin(2 * t), lambda t: 0.5 - 0.4 * math.cos(t))]
# Not digits: what people try in their first minute with a pad.
SHAPES = {
    "A": [[(0.2, 0.9), (0.5, 0.1), (0.8, 0.9)], [(0.32, 0.6), (0.68, 0.6)]],
    # a lowercase m, in one stroke
    "m": [
        [
            (0.1, 0.9),
            (0.1, 0.4),
            (0.2, 0.3),
            (0.35, 0.35),
            (0.4, 0.9),
            (0.4, 0.4),
            (0.55, 0.3),
            (0.7, 0.35),
            (0.75, 0.9),
        ]
    ],
    # a house of several strokes: walls and roof, a door, a window apart
    "house": [
        [(0.1, 0.4), (0.1, 1.0), (0.9, 1.0), (0.9, 0.4), (0.1, 0.4), (0.5, 0.05), (0.9, 0.4)],
        [(0.42, 1.0), (0.42, 0.7), (0.58, 0.7), (0.58, 1.0)],
        [(0.2, 0.55), (0.35, 0.55), (0.35, 0.68), (0.2, 0.68), (0.2, 0.55)],
    ],
    "scribble": [
        [
            (0.1, 0.5),
            (0.3, 0.1),
            (0.45, 0.8),
            (0.6, 0.15),
            (0.75, 0.85),
            (0.9, 0.2),
            (0.2, 0.3),
            (0.85, 0.6),
            (0.15, 0.75),
            (0.7, 0.1),
        ]
    ],
    "smiley": [
        [
            (0.5 + 0.4 * c, 0.5 + 0.4 * s)
            for c, s in [
                (1, 0),
                (0.7, 0.7),
                (0, 1),
                (-0.7, 0.7),
                (-1, 0),
                (-0.7, -0.7),
                (0, -1),
                (0.7, -0.7),
                (1, 0),
            ]
        ],
        [(0.37, 0.35)],
        [(0.63, 0.35)],
        [(0.3, 0.6), (0.4, 0.7), (0.5, 0.73), (0.6, 0.7), (0.7, 0.6)],
    ],
    "dot": [[(0.5, 0.5)]],
    # A European 1: a long flag falling from the top, and a foot.
    "1 with flag": [[(0.2, 0.4), (0.55, 0.1), (0.55, 0.9)], [(0.35, 0.9), (0.75, 0.9)]],
    # A 1 written with a long up-stroke: an inverted V with an upright right leg.
    "1 long up-stroke": [[(0.2, 0.8), (0.6, 0.05), (0.6, 0.95)]],
    # A 2 written like a crossed Z: the shipped model reads it as a 7; taught, it reads a 2.
    "2 like a crossed Z": [[(0.2, 0.15), (0.8, 0.15), (0.2, 0.9), (0.8, 0.9)], [(0.3, 0.52), (0.7, 0.52)]],
    # A T-shirt's outline, in one stroke.
    "t-shirt": [
        [
            (0.3, 0.1),
            (0.05, 0.3),
            (0.15, 0.45),
            (0.25, 0.38),
            (0.25, 0.95),
            (0.75, 0.95),
            (0.75, 0.38),
            (0.85, 0.45),
            (0.95, 0.3),
            (0.7, 0.1),
            (0.6, 0.18),
            (0.4, 0.18),
            (0.3, 0.1),
        ]
    ],
}


def draw(
    digit: int | str,
    size: tuple[int, int] = (280, 280),
    box: tuple[float, float, float, float] = (0.15, 0.1, 0.85, 0.9),
    width: int = 20,
    ink: tuple[int, ...] | int = (0, 0, 0, 255),
    paper: tuple[int, ...] | int = (0, 0, 0, 0),
    mode: str = "RGBA",
) -> Image.Image:
    """A digit (or one of SHAPES) in `box` (left, top, right, bottom as fractions of
    the image); the defaults are a browser canvas: black ink on transparent black."""
    image = Image.new(mode, size, paper)
    pen = ImageDraw.Draw(image)
    left, top, right, bottom = box
    for stroke in {**STROKES, **SHAPES}[digit]:
        points = [
            (size[0] * (left + x * (right - left)), size[1] * (top + y * (bottom - top))) for x, y in stroke
        ]
        pen.line(points, fill=ink, width=width, joint="curve")
        for x, y in points[:1] + points[-1:]:  # round caps, as a canvas draws them
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=ink)
    return image


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def graph_paper(digit: int | str, size: int = 600, step: int = 30) -> Image.Image:
    """A phone photo of a digit on squared paper: blue-grey grid, dark ink, soft focus."""
    photo = Image.new("RGB", (size, size), (235, 235, 228))
    pen = ImageDraw.Draw(photo)
    for x in range(step // 2, size, step):
        pen.line([(x, 0), (x, size)], fill=(120, 120, 190), width=2)
        pen.line([(0, x), (size, x)], fill=(120, 120, 190), width=2)
    ink = draw(digit, size=(size, size), box=(0.3, 0.2, 0.7, 0.8), width=14, ink=(30, 30, 90, 255))
    photo.paste(ink, (0, 0), ink)
    return photo.filter(ImageFilter.GaussianBlur(1))


def framed(image: Image.Image, alpha: int = 60, width: int = 2) -> Image.Image:
    """Opaque white paper with a faint semi-transparent frame, as some apps export."""
    flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
    flat.alpha_composite(image)
    pixels = flat.load()
    w, h = flat.size
    for x in range(w):
        for y in range(h):
            if min(x, y, w - 1 - x, h - 1 - y) < width:
                pixels[x, y] = (200, 200, 200, alpha)
    return flat


def number(digits: str, size: int = 200, overlap: float = 0.0, **kwargs) -> Image.Image:
    """Digits side by side on one canvas, each in a size x size cell; `overlap` (a
    share of the cell) pushes them together until they touch."""
    step = round(size * (1 - overlap))
    canvas = Image.new("RGBA", (step * (len(digits) - 1) + size, size), (0, 0, 0, 0))
    for i, digit in enumerate(digits):
        cell = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
        cell.paste(draw(int(digit), size=(size, size), **kwargs), (i * step, 0))
        canvas = Image.alpha_composite(canvas, cell)
    return canvas
