"""Digits drawn the way people draw them on a pad, for the tests."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

# Strokes of a few digits in a unit square, (x, y) from the top left.
STROKES = {
    1: [[(0.5, 0.1), (0.5, 0.9)]],
    4: [[(0.6, 0.1), (0.2, 0.6), (0.8, 0.6)], [(0.6, 0.3), (0.6, 0.9)]],
    7: [[(0.25, 0.15), (0.75, 0.15), (0.4, 0.9)]],
    0: [[(0.5 + 0.28 * c, 0.5 + 0.4 * s) for c, s in
         [(1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1), (0.7, -0.7), (1, 0)]]],
}


def draw(
    digit: int,
    size: tuple[int, int] = (280, 280),
    box: tuple[float, float, float, float] = (0.15, 0.1, 0.85, 0.9),
    width: int = 20,
    ink: tuple[int, ...] | int = (0, 0, 0, 255),
    paper: tuple[int, ...] | int = (0, 0, 0, 0),
    mode: str = "RGBA",
) -> Image.Image:
    """A digit in `box` (left, top, right, bottom as fractions of the image); the
    defaults are a browser canvas: black ink on transparent black."""
    image = Image.new(mode, size, paper)
    pen = ImageDraw.Draw(image)
    left, top, right, bottom = box
    for stroke in STROKES[digit]:
        points = [(size[0] * (left + x * (right - left)), size[1] * (top + y * (bottom - top))) for x, y in stroke]
        pen.line(points, fill=ink, width=width, joint="curve")
        for x, y in points[:1] + points[-1:]:  # round caps, as a canvas draws them
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=ink)
    return image


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()
