"""Any image of a digit to the 28x28 input an MNIST model expects.

This is the train/serve contract: the service, training and evaluation all call
`to_model_input`. It follows the recipe that made MNIST itself: the ink is found,
cropped to its bounding box, scaled so that its longer side is 20 px (aspect
ratio kept), and placed in a 28x28 field so that its centre of mass is in the
middle. White ink on black, float32 in [0, 1].

`fashion_input` is the clothes model's counterpart, Fashion-MNIST's own recipe: the
object trimmed, its longer side scaled to 28, centred, light on dark.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageStat
from scipy import ndimage

from app.core import paper
from app.core.errors import Code, Refusal

SIZE = 28
BOX = 20
CENTRE = SIZE / 2  # where MNIST digits have their centre of mass (measured: 14.0, 14.0)
# Working resolutions: the image is reduced before any per-pixel work, and the
# cropped digit is handled at 4x the box, which keeps every step cheap.
WORK_SIDE = 256
DETAIL_SIDE = 4 * BOX
MIN_CONTRAST = 24  # grey levels: weaker "ink" is paper texture, JPEG noise or nothing
NOISE_FLOOR = 0.2  # ink weaker than this share of the strongest ink is background
MIN_STROKE = 2.0  # px in the 28x28 field (MNIST's thinnest); thinner strokes are widened
# Ruled or graph paper: lines inked across this share of the image, at least this
# many, in images at least this big (small scans fill their frame with the digit).
RULED_COVERAGE = 0.9
MIN_RULED_LINES = 3
MIN_RULED_SIDE = 64
# The digit's pieces: those with this share of the biggest one's ink, and any mark
# nearer to them than this share of their size.
BIG_PIECE = 0.1
NEAR_MASS = 0.25

# Colour: channels that differ by less than this on average (grey levels) are a grey
# image; the channels are compared on every COLOUR_STEP-th pixel down and across.
COLOURFUL = 6
COLOUR_STEP = 8

HIGH_DEPTH_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "PA"})


def _high_depth_to_grey(image: Image.Image) -> Image.Image:
    values = np.nan_to_num(np.asarray(image.convert("F")), posinf=0.0, neginf=0.0)
    low, high = float(values.min()), float(values.max())
    if (low < 0 or high > 255) and high > low:
        values = (values - low) * (255 / (high - low))
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), "L")


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Composites onto a background that contrasts with what is drawn.

    A canvas exports black ink on transparent black: on white the ink shows, on
    black it would vanish (the naive `convert("L")`). Light ink gets black. An
    image that is mostly opaque carries its own paper: what is translucent in it
    (a faint frame, a soft edge) is put on that paper's grey, so it fades into it.
    """
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    alpha = rgba.getchannel("A")
    grey = rgba.convert("L")
    if alpha.getextrema()[0] == 255:
        return grey
    opaque = np.asarray(alpha) == 255
    if opaque.mean() > 0.5:
        paper = int(np.median(np.asarray(grey)[opaque]))
        return Image.composite(grey, Image.new("L", grey.size, paper), alpha)
    return _on_contrasting_background(grey, alpha)


def _on_contrasting_background(grey: Image.Image, alpha: Image.Image) -> Image.Image:
    """Composites onto white what is dark, onto black what is light."""
    drawn = alpha if alpha.getbbox() else None
    shade = ImageStat.Stat(grey, mask=drawn).mean[0]
    background = Image.new("L", grey.size, 255 if shade < 128 else 0)
    return Image.composite(grey, background, alpha)


def _grey(image: Image.Image, flatten: Callable[[Image.Image], Image.Image] = _flatten_alpha) -> Image.Image:
    """What a person sees, as one 8-bit grey channel; `flatten` composites transparency."""
    if image.mode in HIGH_DEPTH_MODES:
        return _high_depth_to_grey(image)
    if image.mode == "LAB":  # its "A" band is a colour axis, not alpha; "L" is lightness
        return image.getchannel("L")
    if image.mode == "La":  # premultiplied; Pillow converts it to LA only
        image = image.convert("LA")
    if image.mode in ALPHA_MODES or "transparency" in image.info:
        return flatten(image)
    if image.mode == "RGB":
        return _colour_to_grey(image)
    return image if image.mode == "L" else image.convert("L")


def _colour_to_grey(image: Image.Image) -> Image.Image:
    """A colour image's grey, in the channel where the ink stands out most from the paper:
    blue ballpoint on beige paper is darkest in red, red pen in green. An image of greys
    (its channels nearly equal) is converted as a person sees it."""
    sample = np.asarray(image)[::COLOUR_STEP, ::COLOUR_STEP].reshape(-1, 3).astype(np.int16)
    if np.abs(sample - sample.mean(axis=1, keepdims=True)).mean() < COLOURFUL:
        return image.convert("L")
    low, middle, high = np.percentile(sample, [1, 50, 99], axis=0)
    contrast = np.maximum(middle - low, high - middle)
    return image.getchannel(int(np.argmax(contrast)))


def _share(mask: np.ndarray) -> float:
    """The share of true values: a count, cheaper than a mean of booleans and equal to it."""
    return np.count_nonzero(mask) / mask.size


def _paper_level(pixels: np.ndarray, low: int, high: int) -> int:
    """The grey level of the paper: dark or light, whichever covers less of the
    image and its border is ink. Counting the whole image as well as the border
    keeps a digit that fills its frame (Semeion's are stretched to) from being
    taken for the paper."""
    middle = (low + high) // 2 + 1
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    dark_share = (_share(pixels < middle) + _share(border < middle)) / 2
    light_paper = dark_share < 0.5
    paper_border = border[border >= middle] if light_paper else border[border < middle]
    if paper_border.size:
        return int(np.median(paper_border))
    paper = pixels[pixels >= middle] if light_paper else pixels[pixels < middle]
    return int(np.median(paper))


def _without_ruled_lines(distance: np.ndarray) -> np.ndarray:
    """Graph or lined paper: rows (or columns) inked across nearly the whole image,
    three or more of them, are the paper's lines, not the digit. Their pixels are
    cleared unless clearly darker than the line (the pen crossing it)."""
    if min(distance.shape) < MIN_RULED_SIDE:
        return distance
    cleaned = distance
    mask = distance >= MIN_CONTRAST
    for axis in (1, 0):  # rows, then columns
        lines = np.count_nonzero(mask, axis=axis) / mask.shape[axis] >= RULED_COVERAGE
        runs = int(lines[0]) + np.count_nonzero(lines[1:] & ~lines[:-1])  # each line's first row
        if runs < MIN_RULED_LINES:
            continue
        along = distance.T if axis == 0 else distance
        level = np.median(along[lines][along[lines] >= MIN_CONTRAST])
        cleaned = cleaned.copy()
        target = cleaned.T if axis == 0 else cleaned
        rows = target[lines]
        target[lines] = np.where(rows > 1.5 * level, rows, 0)
    return cleaned


def _ink_field(grey: Image.Image, full: Image.Image, factor: int) -> np.ndarray:
    """The ink of the whole image in [0, 1] (0 is paper), from `grey`, the image `full`
    reduced `factor` times.

    Ink is whatever differs from the paper's grey, so dark-on-light and
    light-on-dark read the same. A photo's ink is found in a reduction that keeps each
    block's darkest (lightest) pixel, so that a fine pen's strokes survive it.
    """
    low, high = grey.getextrema()  # an "L" image's: two ints
    assert isinstance(low, int) and isinstance(high, int)
    if high - low < MIN_CONTRAST:
        raise Refusal(Code.NO_INK, "no ink found: the image is blank or has too little contrast")
    pixels = np.asarray(grey)
    level = _paper_level(pixels, low, high)
    if paper.is_photo(pixels, level):
        dark = paper.dark_ink(pixels)
        strokes = paper.reduced(np.asarray(full), factor, dark) if factor > 1 else pixels
        ink = paper.photo_ink(strokes, dark)
        if not ink.any():
            raise Refusal(Code.NO_INK, "no ink found: the image is blank or has too little contrast")
        return ink
    distance = _without_ruled_lines(np.maximum(pixels, level) - np.minimum(pixels, level))
    strongest = int(distance.max())
    if strongest < MIN_CONTRAST:
        raise Refusal(Code.NO_INK, "no ink found: the image is blank or has too little contrast")
    floor = round(NOISE_FLOOR * strongest)
    return np.clip(distance.astype(np.float32) - floor, 0, None) / (strongest - floor)  # 0 up to the floor


def ink_field(image: Image.Image, work_side: int = WORK_SIDE) -> tuple[np.ndarray, int]:
    """The image's ink in [0, 1], reduced so that its longer side is at most about
    `work_side`, and the factor it was reduced by."""
    full = _grey(image)
    factor = math.ceil(max(full.size) / work_side)
    grey = full.reduce(factor) if factor > 1 else full
    return _ink_field(grey, full, factor), factor


def _crop(ink: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _resize(ink: np.ndarray, longer_side: int) -> np.ndarray:
    """Scales so that the longer side is `longer_side`, renormalised to peak at 1."""
    height, width = ink.shape
    scale = longer_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.BILINEAR))
    peak = resized.max()
    return resized / peak if peak > 0 else resized


def _stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels: twice the inked area over its boundary length."""
    mask = _padded(ink > 0.5, 1)
    interior = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    area = int(mask.sum())
    boundary = area - int(interior.sum())
    return 2 * area / boundary if boundary else float(max(ink.shape))


def _padded(values: np.ndarray, width: int) -> np.ndarray:
    """`values` with `width` zeros all round: np.pad's result, without its overhead."""
    padded = np.zeros((values.shape[0] + 2 * width, values.shape[1] + 2 * width), values.dtype)
    padded[width : width + values.shape[0], width : width + values.shape[1]] = values
    return padded


def _dilate(ink: np.ndarray, radius: int) -> np.ndarray:
    """Grey-level dilation by a (2r+1) square, as two separable running maxima."""
    height, width = ink.shape
    size = 2 * radius + 1
    padded = _padded(ink, radius)
    rows = np.maximum.reduce([padded[i : i + height] for i in range(size)])
    return np.maximum.reduce([rows[:, j : j + width] for j in range(size)])


def _thicken(detail: np.ndarray) -> np.ndarray:
    """Widens thin strokes (a mouse on a big canvas) to MNIST's pen width."""
    scale = BOX / max(detail.shape)
    radius = math.ceil((MIN_STROKE / scale - _stroke_width(detail)) / 2)
    if radius <= 0:
        return detail
    return _dilate(_padded(detail, radius), radius)


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    height, width = digit.shape
    total = digit.sum()
    cy = float(digit.sum(axis=1) @ np.arange(height) / total)
    cx = float(digit.sum(axis=0) @ np.arange(width) / total)
    top = min(max(round(CENTRE - cy), 0), SIZE - height)
    left = min(max(round(CENTRE - cx), 0), SIZE - width)
    field = np.zeros((SIZE, SIZE), dtype=np.float32)
    field[top : top + height, left : left + width] = digit
    return field


def as_image(image: Image.Image | np.ndarray) -> Image.Image:
    """A PIL image, from one or from an (h, w) uint8 array."""
    return image if isinstance(image, Image.Image) else Image.fromarray(image, "L")


def digit_input(ink: np.ndarray) -> np.ndarray:
    """(28, 28) from one digit's ink (any size, [0, 1], cropped to it)."""
    detail = _resize(ink, DETAIL_SIDE) if max(ink.shape) > DETAIL_SIDE else ink
    digit = _resize(_thicken(detail), BOX)
    return np.clip(_centre_by_mass(digit), 0, 1).astype(np.float32)


def _gap(ink: np.ndarray, axis: int) -> bool:
    """Whether the columns (axis 0) or rows (axis 1) with ink have a gap between them."""
    cells = np.flatnonzero(ink.any(axis=axis))
    return cells.size > 0 and cells[-1] - cells[0] + 1 > cells.size


def _around_mass(ink: np.ndarray) -> np.ndarray:
    """The ink without marks far from the digit (specks, a stray dot), which would widen
    its box: the digit is its big pieces, and what lies near them."""
    if min(ink.shape) < paper.MIN_SIDE or not (_gap(ink, 0) or _gap(ink, 1)):
        return ink  # nothing apart from the rest, across or down: the common case, found cheaply
    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if count < 2:
        return ink
    masses = np.asarray(ndimage.sum_labels(ink, labels, np.arange(1, count + 1)))
    boxes = ndimage.find_objects(labels)
    big = [box for box, mass in zip(boxes, masses, strict=True) if mass >= BIG_PIECE * masses.max()]
    top, bottom = min(b[0].start for b in big), max(b[0].stop for b in big)
    left, right = min(b[1].start for b in big), max(b[1].stop for b in big)
    margin = NEAR_MASS * max(bottom - top, right - left)
    near = [
        b[0].stop > top - margin
        and b[0].start < bottom + margin
        and b[1].stop > left - margin
        and b[1].start < right + margin
        for b in boxes
    ]
    return np.where(np.r_[False, near][labels], ink, 0)


def whole_input(ink: np.ndarray) -> np.ndarray:
    """(28, 28) from an image's `ink_field`: all of the drawing as one digit."""
    return digit_input(_crop(_around_mass(ink)))


def to_model_input(image: Image.Image) -> np.ndarray:
    """(28, 28) float32 in [0, 1], white ink on black; raises Refusal (no_ink)."""
    return whole_input(ink_field(image)[0])


# Clothes, as Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) made its images from product
# photos on white: the object trimmed, its longer side scaled to 28, centred, negated to
# light on dark, grey. No 20 px box and no centring by mass: that is MNIST's recipe.
NOISE_SIGMAS = 6.0  # background within this many of its own noise (robust sigma) is background
BACKGROUND_BIN = 16  # grey levels: the border's histogram, coarse enough to gather a noisy background


def _flatten_on_contrast(image: Image.Image) -> Image.Image:
    """Transparency onto white under a dark object, onto black under a light one. Unlike
    a digit's paper, a cut-out product photo's background is its transparent part, however
    much of the image the object covers."""
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    alpha = rgba.getchannel("A")
    grey = rgba.convert("L")
    if alpha.getextrema()[0] == 255:
        return grey
    return _on_contrasting_background(grey, alpha)


def _object_field(grey: Image.Image) -> np.ndarray:
    """The object in [0, 1], light on dark, 0 the background.

    The background is the border's commonest grey (an object may cover most of the
    border, but in many shades); its noise is subtracted. A light background is negated
    (Fashion-MNIST's photos were dark on white); a dark one is kept, so Fashion-MNIST's
    own images map to themselves.
    """
    pixels = np.asarray(grey, dtype=np.float32)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    commonest = np.bincount(
        border.astype(np.int64) // BACKGROUND_BIN, minlength=256 // BACKGROUND_BIN
    ).argmax()
    near = border[np.abs(border // BACKGROUND_BIN - commonest) <= 1]
    background = float(np.median(near))
    floor = NOISE_SIGMAS * 1.4826 * float(np.median(np.abs(near - background)))
    if background >= 128:
        signed, full = background - pixels, background
    else:
        signed, full = pixels - background, 255 - background
    if signed.max() - floor < MIN_CONTRAST:
        raise Refusal(Code.NO_INK, "no object found: the image is blank or has too little contrast")
    return np.clip(signed - floor, 0, None) / (full - floor)


def fashion_input(image: Image.Image) -> np.ndarray:
    """(28, 28) float32 in [0, 1], a light object on black as in Fashion-MNIST; raises
    Refusal (no_ink) when there is no object."""
    grey = _grey(image, flatten=_flatten_on_contrast)
    factor = math.ceil(max(grey.size) / WORK_SIDE)
    if factor > 1:
        grey = grey.reduce(factor)
    field = _crop(_object_field(grey))
    height, width = field.shape
    scale = SIZE / max(height, width)
    height, width = max(1, round(height * scale)), max(1, round(width * scale))
    # Lanczos keeps edges crisp, as Fashion-MNIST's sharpening did; a 28 px object is left as it is.
    scaled = np.asarray(Image.fromarray(field).resize((width, height), Image.Resampling.LANCZOS))
    top, left = (SIZE - height + 1) // 2, (SIZE - width + 1) // 2  # an odd margin's extra pixel on top, left
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top : top + height, left : left + width] = np.clip(scaled, 0, 1)
    return out
