"""Ink on real paper: what a photo or a scan adds to a drawing, taken away.

A canvas gives ink on an even background, and `preprocess` needs no more than the
paper's one grey level. A photo or a scan has light that changes across the page,
grain, pencil that fades, printed patterns, lines and edges. For those (an image
whose background is uneven or noisy) the ink is found against a background
estimated locally, fine print and grain are opened away, faint strokes are kept
where they join darker ones (hysteresis), long straight lines that are not
strokes are cleared, and the ink's contrast is evened out.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

MIN_SIDE = 48  # px: smaller images (MNIST's, USPS's, Semeion's) are their digit, cropped
BACKGROUND_SIDE = 64  # px: the background is estimated on the image reduced to this
BACKGROUND_WINDOW = 15  # px of that reduction: wider than a stroke, narrower than a shadow
UNEVEN = 16  # grey levels the background may vary by, or
NOISY = 2.5  # grey levels of noise (robust sigma) the paper may have, and still be a canvas
NOISE_SIGMAS = 4.0  # weak ink: this many of the noise's sigmas above the background
STRONG = 0.35  # of the strongest ink: a stroke has some pixels this strong
LINE = 0.55  # of the image's width (height): a straight run this long is a printed or ruled line
EDGE = 0.3  # of a side: ink along this much of the image's edge is the paper's edge or a shadow
EDGE_BAND = 3  # px: how near the edge "along it" is
EDGE_DEPTH = 0.25  # of the image: how far into it such a mark reaches at most
LONG_EDGE = 0.6  # of the image's height (width): a piece this long near its side is an edge,
EDGE_SHARE = 0.9  # with this share of its ink within EDGE_DEPTH of the side, and the rest of the
EDGE_REST = 0.1  # ink at least this share of its
LINE_THICKNESS = 0.04  # of the image's height (width): at most this thick
MIN_LINE_THICKNESS = 3  # px


def _robust_sigma(values: np.ndarray) -> float:
    return 1.4826 * float(np.median(np.abs(values - np.median(values))))


def _background(grey: np.ndarray, dark_ink: bool) -> np.ndarray:
    """The paper's grey at every pixel: the image with its strokes closed over (or
    opened, for light ink), estimated small and smoothed, then scaled back up."""
    height, width = grey.shape
    factor = max(1, round(max(height, width) / BACKGROUND_SIDE))
    small = (
        np.asarray(Image.fromarray(grey).reduce(factor), np.float32)
        if factor > 1
        else grey.astype(np.float32)
    )
    close = ndimage.grey_closing if dark_ink else ndimage.grey_opening
    estimate = ndimage.uniform_filter(close(small, size=BACKGROUND_WINDOW), 5)
    return np.asarray(Image.fromarray(estimate).resize((width, height), Image.Resampling.BILINEAR))


def dark_ink(grey: np.ndarray) -> bool:
    """Whether the ink is darker than the paper around it: the paper is what a median
    filter leaves, and the ink stands out from it further on one side than the other.
    The filter spans a third of the image, so that a marker's broad strokes, which may
    cover most of a small photo, are not taken for the paper."""
    height, width = grey.shape
    factor = max(1, round(max(height, width) / BACKGROUND_SIDE))
    small = (
        np.asarray(Image.fromarray(grey).reduce(factor), np.float32)
        if factor > 1
        else grey.astype(np.float32)
    )
    residual = small - ndimage.median_filter(small, size=max(9, min(small.shape) // 3))
    low, high = np.percentile(residual, [0.5, 99.5])
    return -low > high


def is_photo(grey: np.ndarray, paper: int) -> bool:
    """Whether the background is uneven or noisy, as on a photo or a scan, not a canvas."""
    if min(grey.shape) < MIN_SIDE:
        return False
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]]).astype(np.float32)
    near = border[np.abs(border - paper) < 3 * UNEVEN]
    if near.size == 0 or np.ptp(near) <= 1:  # a canvas: one grey all round
        return False
    return float(np.ptp(near)) > UNEVEN or _robust_sigma(near) > NOISY


def _without_lines(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Clears straight runs far longer than a stroke and thin (an underline, a box's or the
    paper's edge, a grid over part of the page), except where a stroke crosses them."""
    height, width = mask.shape
    thickness = max(MIN_LINE_THICKNESS, round(LINE_THICKNESS * min(height, width)))
    lines = ndimage.binary_opening(mask, structure=np.ones((1, max(3, round(LINE * width))), bool))
    lines |= ndimage.binary_opening(mask, structure=np.ones((max(3, round(LINE * height)), 1), bool))
    # A line is thin: what is still there after opening by its thickness across is a stroke on it.
    thick = ndimage.binary_opening(mask, structure=np.ones((thickness + 1, thickness + 1), bool))
    # With their blurred fringes, which would otherwise stay as a faint line.
    return np.where(ndimage.binary_dilation(lines & ~thick, np.ones((3, 3), bool)) & ~thick, 0, ink)


def _along_an_edge(piece: np.ndarray, box: tuple[slice, slice], shape: tuple[int, ...]) -> bool:
    """Whether a piece's ink (`piece`, its box's part of the ink field) runs down most of the
    image beside its left or right edge, or across most of it by the top or bottom: where
    the paper's edge, or a shadow's, lies. Beside it: nearly all its ink within
    EDGE_DEPTH of that edge, whatever faint specks it gathered further in."""
    for along, across in ((0, 1), (1, 0)):
        profile = piece.sum(axis=along)  # its ink by column (row), across the image
        if np.count_nonzero(piece.any(axis=across)) < LONG_EDGE * shape[along]:
            continue
        positions = np.arange(box[across].start, box[across].stop)
        near = EDGE_DEPTH * shape[across]
        total = float(profile.sum())
        for beside in (positions < near, positions >= shape[across] - near):
            if profile[beside].sum() >= EDGE_SHARE * total:
                return True
    return False


def _without_edges(ink: np.ndarray) -> np.ndarray:
    """Clears what runs along the image's edge and not far into it (the table beyond the
    paper's edge, a shadow): a digit may touch the edge, but does not lie along it. A
    long piece near an edge that does not lie on it (what is left of the paper's edge
    a little way in) goes too, unless it is nearly all the ink there is (a lone 1)."""
    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    band = EDGE_BAND
    sides = (
        (labels[:band].max(axis=0), 0),
        (labels[-band:].max(axis=0), 0),
        (labels[:, :band].max(axis=1), 1),
        (labels[:, -band:].max(axis=1), 1),
    )
    boxes = ndimage.find_objects(labels)
    edges = {
        int(label)
        for side, across in sides
        for label in np.flatnonzero(np.bincount(side, minlength=1) >= EDGE * len(side))
        if label > 0
        and boxes[label - 1][across].stop - boxes[label - 1][across].start
        <= EDGE_DEPTH * labels.shape[across]
    }
    masses = np.asarray(ndimage.sum_labels(ink, labels, np.arange(1, count + 1)))
    total = float(masses.sum())
    edges |= {
        label
        for label, (box, mass) in enumerate(zip(boxes, masses, strict=True), start=1)
        if label not in edges
        and total - mass >= EDGE_REST * mass
        and _along_an_edge(np.where(labels[box] == label, ink[box], 0), box, labels.shape)
    }
    return np.where(np.isin(labels, list(edges)), 0, ink) if edges else ink


def reduced(grey: np.ndarray, factor: int, dark: bool) -> np.ndarray:
    """`grey` made `factor` times smaller (as Pillow's reduce sizes it), each pixel the
    darkest (lightest, for light ink) of those it stands for: a fine pen's stroke, a
    pixel or two wide in the reduction, keeps its full contrast instead of being
    averaged into the paper."""
    height, width = grey.shape
    rows, cols = -(-height // factor), -(-width // factor)
    padded = np.pad(grey, ((0, rows * factor - height), (0, cols * factor - width)), mode="edge")
    blocks = padded.reshape(rows, factor, cols, factor)
    return blocks.min(axis=(1, 3)) if dark else blocks.max(axis=(1, 3))


def stroke_width(mask: np.ndarray) -> float:
    """The strokes' mean width in pixels: twice the area over the boundary's length."""
    area = np.count_nonzero(mask)
    boundary = area - np.count_nonzero(ndimage.binary_erosion(mask))
    return 2 * area / boundary if boundary else 0.0


def _opened(signed: np.ndarray) -> np.ndarray:
    """Print and grain finer than the pen's stroke, opened away: by 3 px where the strokes
    (the strongest ink) are wider than 4, by 2 where wider than 3, not at all where they
    are finer, so that a fine pen's stroke is never taken for grain."""
    width = stroke_width(signed > STRONG * float(signed.max()))
    size = 3 if width > 4 else 2 if width > 3 else 1
    return ndimage.grey_opening(signed, size=(size, size)) if size > 1 else signed


def photo_ink(grey: np.ndarray, dark: bool | None = None) -> np.ndarray:
    """The ink of a photo or scan in [0, 1] (0 is paper), or all zeros where there is none.
    Ink is darker than the paper around it, or lighter (`dark`, found by `dark_ink` when
    not given): a shadow can make most of a page darker than its ink."""
    dark = dark_ink(grey) if dark is None else dark
    background = _background(grey, dark)
    signed = background - grey if dark else grey - background
    distance = _opened(np.clip(signed, 0, None))
    strongest = float(distance.max())
    weak = max(NOISE_SIGMAS * _robust_sigma(distance), 6.0)
    if strongest <= weak:
        return np.zeros_like(distance)
    labels, count = ndimage.label(distance > weak, structure=np.ones((3, 3)))
    peaks = ndimage.maximum(distance, labels, np.arange(1, count + 1))
    kept = np.r_[False, np.asarray(peaks) >= max(STRONG * strongest, 2 * weak)][labels]
    ink = np.where(kept, distance - weak, 0)
    ink = _without_edges(_without_lines(ink, kept))
    level = float(np.median(ink[ink > 0])) if ink.any() else 1.0
    return np.clip(ink / max(level, 1e-6), 0, 1).astype(np.float32)  # faint and dark strokes alike
