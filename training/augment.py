"""Augmentation. Digits: centred MNIST digits turned into what people draw on a canvas,
slanted, squashed or stretched, a little off-centre, with thin or fat strokes. Clothes:
a mirror image, moved by whole pixels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from app.core.errors import Refusal
from app.core.preprocess import SIZE, to_model_input
from training.tf import keras, layers, ops


def _window3(images: keras.KerasTensor, combine: Callable) -> keras.KerasTensor:
    """`combine` folded over each pixel's 3x3 neighbourhood, edges repeated outwards.
    Shifted slices: ~8x faster than max_pool/average_pool on CPU."""
    padded = ops.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="symmetric")
    rows = combine(combine(padded[:, :-2], padded[:, 1:-1]), padded[:, 2:])
    return combine(combine(rows[:, :, :-2], rows[:, :, 1:-1]), rows[:, :, 2:])


class RandomStrokeWidth(layers.Layer):
    """Moves each stroke a random fraction of the way to a 3x3 dilation (fatter,
    a finger) or erosion (thinner, a mouse)."""

    def __init__(
        self, thinner: float = 0.4, fatter: float = 1.0, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.thinner, self.fatter = thinner, fatter
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: keras.KerasTensor, training: bool = True) -> keras.KerasTensor:
        if not training:
            return images
        amount = keras.random.uniform(
            (ops.shape(images)[0], 1, 1, 1), -self.thinner, self.fatter, seed=self.seed_generator
        )
        dilated = _window3(images, ops.maximum)
        eroded = _window3(images, ops.minimum)
        target = ops.where(amount > 0, dilated, eroded)
        return images + ops.abs(amount) * (target - images)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thinner": self.thinner, "fatter": self.fatter}


class RandomSoften(layers.Layer):
    """Moves each image a random fraction of the way to its 3x3 box blur: soft edges,
    as upscaled small scans (USPS's, Semeion's) and blurry photos have. Half the
    images stay sharp."""

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: keras.KerasTensor, training: bool = True) -> keras.KerasTensor:
        if not training:
            return images
        amount = keras.random.uniform((ops.shape(images)[0], 1, 1, 1), -1, 1, seed=self.seed_generator)
        blurred = _window3(images, ops.add) / 9
        return images + ops.maximum(amount, 0) * (blurred - images)


def fill_box(image: np.ndarray) -> np.ndarray:
    """The digit stretched to fill a square box, as tight-box normalisations (Semeion's,
    USPS's) and wide handwriting make it, then put through the shared preprocessing."""
    rows, cols = np.nonzero(image)
    crop = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    side = max(crop.shape)
    square = Image.fromarray(crop).resize((side, side), Image.Resampling.BILINEAR)
    try:
        return to_model_input(square)
    except Refusal:  # a filled box (a non-digit) fills its box already
        return image / np.float32(255)


def stretch_some(images: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A copy of (n, 28, 28) inputs in which a random `share` fill their box."""
    chosen = np.random.default_rng(seed).random(len(images)) < share
    stretched = images.copy()
    stretched[chosen] = [fill_box((255 * image).astype(np.uint8)) for image in images[chosen]]
    return stretched


class RandomAffine(layers.Layer):
    """Rotation, per-axis zoom (so also aspect) and shift, drawn per image and applied
    in one bilinear resampling: chaining Keras' RandomRotation, RandomZoom and
    RandomTranslation resamples three times, which blurs the strokes and costs three
    times as much."""

    def __init__(
        self,
        degrees: float = 10.0,
        zoom: float = 0.12,
        shift: float = 2.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.degrees, self.zoom, self.shift = degrees, zoom, shift
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: keras.KerasTensor, training: bool = True) -> keras.KerasTensor:
        if not training:
            return images
        n, height, width = ops.shape(images)[0], ops.shape(images)[1], ops.shape(images)[2]

        def uniform(limit: float) -> keras.KerasTensor:
            return keras.random.uniform((n,), -limit, limit, seed=self.seed_generator)

        angle = uniform(np.deg2rad(self.degrees))
        zoom_x, zoom_y = 1 + uniform(self.zoom), 1 + uniform(self.zoom)
        cos, sin = ops.cos(angle), ops.sin(angle)
        # The transform maps each output pixel to where it is read in the input:
        # input = M (output - centre) + centre + shift, with M = rotation x zoom.
        a0, a1, b0, b1 = cos * zoom_x, -sin * zoom_y, sin * zoom_x, cos * zoom_y
        cx, cy = (ops.cast(width, "float32") - 1) / 2, (ops.cast(height, "float32") - 1) / 2
        a2 = cx + uniform(self.shift) - a0 * cx - a1 * cy
        b2 = cy + uniform(self.shift) - b0 * cx - b1 * cy
        zeros = ops.zeros_like(angle)
        transform = ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        return ops.image.affine_transform(images, transform, fill_mode="constant")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "degrees": self.degrees, "zoom": self.zoom, "shift": self.shift}


def augmenter(seed: int) -> keras.Sequential:
    """Random per batch, on top of `stretch_some`: stroke width, then slant, size and
    position, then soft edges (upscaled small scans, such as Semeion's and USPS's, are blurry)."""
    return keras.Sequential(
        [
            RandomStrokeWidth(thinner=0.2, seed=seed),  # thin strokes are widened before serving
            RandomAffine(degrees=10, zoom=0.12, shift=2, seed=seed + 1),
            RandomSoften(seed=seed + 2),
        ],
        name="augment",
    )


CLOTHES_SHIFT = 2  # px, up or down and left or right


def clothes_augmenter(seed: int) -> keras.Sequential:
    """A mirror image, moved by whole pixels. Not resampled: a fractional shift or a zoom
    blurs the fine texture that tells a shirt from a T-shirt or a pullover, and the
    test images are sharp (with zooms and sub-pixel shifts the clothes model read 92.9%)."""
    shift = CLOTHES_SHIFT / SIZE
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomTranslation(
                shift, shift, fill_mode="constant", interpolation="nearest", seed=seed + 1
            ),
        ],
        name="augment",
    )
