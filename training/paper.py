"""Digits as a phone or a scanner gives them: a white-on-black digit (MNIST's) put on
paper in pen, fine pen, marker or pencil, under uneven light and soft shadows, on
plain, tinted, textured, ruled, squared or security-printed paper, in grey or in
colour (blue, red or pencil ink on beige), small in a big frame or filling it, with an
underline, a box's edges or the paper's edge nearby, specks, blur and JPEG.

Two styles: what training sees (`TRAIN`), and settings it never sees (`HELDOUT`: other
patterns, harsher light and compression) for the reported figures.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from app.core.preprocess import SIZE
from training import parallel


@dataclass(frozen=True)
class Style:
    patterns: tuple[str, ...]  # the paper's print: "plain", "waves", "grid", "ruled", "dots", "hatch"
    light: float  # the most the light changes across the image, in grey levels
    jpeg: tuple[int, int]  # quality, low to high
    blur: float  # the most Gaussian blur, in px
    faint: float  # the share of digits in faint pencil
    fine: float  # the share written with a fine pen (a stroke ~1% of the image) on a big photo
    marker: float  # the share written with a broad marker
    shadow: float  # the share with a soft shadow across the page
    colour: float  # the share photographed in colour: tinted paper, coloured ink
    inks: tuple[tuple[int, int, int], ...]  # the colours a pen may have, in colour
    frame: tuple[float, float]  # the image's side, in the digit's heights, low to high


TRAIN = Style(
    patterns=("plain", "waves", "grid", "ruled"),
    light=70,
    jpeg=(35, 95),
    blur=1.2,
    faint=0.3,
    fine=0.2,
    marker=0.1,
    shadow=0.25,
    colour=0.4,
    inks=((20, 40, 150), (30, 30, 40), (170, 30, 40), (90, 90, 100)),  # blue, black, red, pencil
    frame=(1.3, 4.0),
)
UNDERLINE = 0.4  # the chance of a line under the digit
REFUSED = 255  # the label of a photo the preprocessing found no ink in

HELDOUT = Style(
    patterns=("dots", "hatch", "grid"),
    light=100,
    jpeg=(20, 60),
    blur=1.6,
    faint=0.4,
    fine=0.3,
    marker=0.15,
    shadow=0.4,
    colour=0.5,
    inks=((40, 70, 190), (10, 60, 30), (120, 40, 140)),  # other blues, green, purple
    frame=(1.5, 5.0),
)
FINE_SIDE = (400, 800)  # px: a fine pen's photo, its longer side
TINTS = ((245, 235, 210), (235, 235, 225), (225, 230, 240), (250, 245, 235))  # beige, grey, bluish, cream


def _pattern(kind: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The paper's print in [0, 1] (1 is printed)."""
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    if kind == "waves":  # security print: fine wavy lines, finer than a pen's
        period, amplitude = rng.uniform(3, 6), rng.uniform(2, 8)
        phase = xx + amplitude * np.sin(yy / rng.uniform(6, 20))
        return (np.sin(2 * np.pi * phase / period) > 0.3).astype(np.float32)
    if kind == "dots":
        period = rng.uniform(4, 7)
        return ((np.sin(2 * np.pi * xx / period) * np.sin(2 * np.pi * yy / period)) > 0.6).astype(np.float32)
    if kind == "hatch":
        period = rng.uniform(3, 6)
        return (np.sin(2 * np.pi * (xx + yy) / period) > 0.5).astype(np.float32)
    if kind in ("grid", "ruled"):  # squared or lined paper, often only over part of the image
        period = rng.uniform(12, 24)
        lines = (np.mod(yy + rng.uniform(0, period), period) < 1.2).astype(np.float32)
        if kind == "grid":
            lines = np.maximum(lines, np.mod(xx + rng.uniform(0, period), period) < 1.2)
        if rng.random() < 0.5:
            lines[:, : int(rng.uniform(0.2, 0.6) * shape[1])] = 0
        return lines
    return np.zeros(shape, np.float32)


def photograph(
    digit: np.ndarray, rng: np.random.Generator, style: Style = TRAIN, underline: float = UNDERLINE
) -> Image.Image:
    """A uint8 white-on-black digit (MNIST's, or a number of them) as a grey photo or scan
    of it on paper; `underline` is the chance of a line under it."""
    return Image.open(io.BytesIO(photo_jpeg(digit, rng, style, underline)))


def _pen(ink: np.ndarray, radius: float) -> np.ndarray:
    """The strokes of `ink` (in [0, 1]) redrawn `radius` px wider (or, negative, narrower)."""
    strokes = ink > 0.4
    if radius >= 0:
        return np.maximum(ink, (ndimage.distance_transform_edt(~strokes) <= radius).astype(np.float32))
    core = ndimage.distance_transform_edt(strokes) > -radius
    return ndimage.gaussian_filter(core.astype(np.float32), 0.6) if core.any() else ink


def _shadow(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A soft shadow's darkening in [0, 1]: a hand's or a phone's, falling across part of the page."""
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float32) / max(shape)
    angle, offset = rng.uniform(0, 2 * np.pi), rng.uniform(-0.3, 0.3)
    across = xx * np.cos(angle) + yy * np.sin(angle) - 0.5 - offset
    return 1 / (1 + np.exp(-across / rng.uniform(0.03, 0.15)))


def photo_jpeg(
    digit: np.ndarray, rng: np.random.Generator, style: Style = TRAIN, underline: float = UNDERLINE
) -> bytes:
    """`photograph`'s JPEG file."""
    rows, cols = np.flatnonzero(digit.max(axis=1) > 30), np.flatnonzero(digit.max(axis=0) > 30)
    crop = Image.fromarray(digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    frame = rng.uniform(*style.frame)
    fine = rng.random() < style.fine
    if fine:  # the digit a few hundred px high in a big photo, written with a pen ~1% of its side
        side = int(rng.integers(*FINE_SIDE))
        height = max(40, round(side / frame))
    else:
        height = int(rng.integers(36, 96))
        side = int(height * frame)
    width = max(4, round(crop.width * height / crop.height))
    ink = np.clip(np.asarray(crop.resize((width, height), Image.Resampling.BICUBIC), np.float32) / 255, 0, 1)
    if fine:
        ink = _pen(
            ink, -(height * 0.06 - side * rng.uniform(0.004, 0.01))
        )  # MNIST's pen is ~12% of the height
    elif rng.random() < style.marker:
        ink = _pen(ink, height * rng.uniform(0.02, 0.06))
    shape = (max(side, height + 4), max(side, width + 8))
    top, left = (int(rng.integers(2, shape[0] - height - 1)), int(rng.integers(2, shape[1] - width - 1)))
    field = np.zeros(shape, np.float32)
    field[top : top + height, left : left + width] = ink

    paper = rng.uniform(150, 250)
    contrast = rng.uniform(35, 90) if rng.random() < style.faint else rng.uniform(100, paper - 10)
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float32) / max(shape)
    angle = rng.uniform(0, 2 * np.pi)
    light = rng.uniform(0, style.light) * ((xx * np.cos(angle) + yy * np.sin(angle)) - 0.5)
    grain = ndimage.gaussian_filter(rng.normal(0, rng.uniform(1, 6), shape), 0.7)
    print_level = rng.uniform(12, 45)
    grey = paper + light + grain - print_level * _pattern(str(rng.choice(style.patterns)), shape, rng)
    if rng.random() < style.shadow:
        grey -= rng.uniform(20, 80) * _shadow(shape, rng)
    if rng.random() < underline:  # an underline, printed or drawn, that need not span the image
        y = min(shape[0] - 2, top + height + int(rng.integers(1, max(2, height // 5))))
        x0, x1 = int(rng.integers(0, max(1, left))), int(rng.integers(left + width, shape[1] + 1))
        grey[y : y + max(1, round(shape[0] * rng.uniform(0.005, 0.02))), x0:x1] -= rng.uniform(
            60, contrast + 40
        )
    if rng.random() < 0.2:  # the paper's edge: the table beyond it
        edge = int(rng.integers(1, max(2, left)))
        grey[:, :edge] = rng.uniform(20, 120)
    if rng.random() < 0.3:  # specks of dust far from the digit
        for _ in range(int(rng.integers(1, 4))):
            y, x = int(rng.integers(shape[0] - 2)), int(rng.integers(shape[1] - 2))
            grey[y : y + 2, x : x + 2] -= rng.uniform(50, 150)
    strength = field * rng.uniform(0.75, 1.0, shape)  # the pen's ink, not quite even
    if rng.random() < style.colour:
        tint = np.asarray(TINTS[int(rng.integers(len(TINTS)))], np.float32) / 255
        pen = np.asarray(style.inks[int(rng.integers(len(style.inks)))], np.float32)
        page = np.clip(grey, 0, 255)[..., None] * tint  # light, shadow and print, on tinted paper
        depth = np.clip(strength * contrast / 150, 0, 1)[..., None]
        colour = page * (1 - depth) + np.minimum(page, pen) * depth
        image = Image.fromarray(np.clip(colour, 0, 255).astype(np.uint8), "RGB")
    else:
        image = Image.fromarray(np.clip(grey - contrast * strength, 0, 255).astype(np.uint8), "L")
    blur = rng.uniform(0, style.blur) * (side / 100 if fine else 1) ** 0.5
    if blur > 0.3:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(*style.jpeg)))
    return buffer.getvalue()


def photographed(
    inputs: np.ndarray,
    labels: np.ndarray,
    n: int,
    rng: np.random.Generator,
    style: Style = TRAIN,
    refused: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """`n` of the (28, 28) model inputs, chosen at random, photographed and put through the
    shared preprocessing again, with their labels. Those it finds no ink in are left out,
    or, with `refused`, kept as a blank input with the label REFUSED (an error to count)."""
    chosen = rng.choice(len(inputs), size=min(n, len(inputs)), replace=False)
    # Photographed here, in turn (they draw on `rng`), and read on every core.
    photos = [photo_jpeg((255 * inputs[i]).astype(np.uint8), rng, style, UNDERLINE) for i in chosen]
    images, kept = [], []
    for i, image in zip(chosen, parallel.photo_inputs(photos), strict=True):
        if image is None:  # no ink found
            if not refused:
                continue
            images.append(np.zeros((SIZE, SIZE), np.float32))
            kept.append(REFUSED)
            continue
        images.append(image)
        kept.append(labels[i])
    x = np.stack(images) if images else np.zeros((0, SIZE, SIZE), np.float32)
    return x, np.asarray(kept, dtype=labels.dtype)
