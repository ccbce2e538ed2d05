"""Augmentation that turns centred MNIST digits into what people draw on a canvas:
slanted, squashed or stretched, a little off-centre, with thin or fat strokes."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops
from PIL import Image

from app.preprocess import to_model_input


class RandomStrokeWidth(layers.Layer):
    """Moves each stroke a random fraction of the way to a 3x3 dilation (fatter,
    a finger) or erosion (thinner, a mouse)."""

    def __init__(self, thinner: float = 0.4, fatter: float = 1.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.thinner, self.fatter = thinner, fatter
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        if not training:
            return images
        amount = keras.random.uniform(
            (ops.shape(images)[0], 1, 1, 1), -self.thinner, self.fatter, seed=self.seed_generator
        )
        dilated = ops.max_pool(images, 3, strides=1, padding="same")
        eroded = -ops.max_pool(-images, 3, strides=1, padding="same")
        target = ops.where(amount > 0, dilated, eroded)
        return images + ops.abs(amount) * (target - images)

    def get_config(self):
        return {**super().get_config(), "thinner": self.thinner, "fatter": self.fatter}


def fill_box(image: np.ndarray) -> np.ndarray:
    """The digit stretched to fill a square box, as tight-box normalisations (Semeion's,
    USPS's) and wide handwriting make it, then put through the shared preprocessing."""
    rows, cols = np.nonzero(image)
    crop = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    side = max(crop.shape)
    square = Image.fromarray(crop).resize((side, side), Image.Resampling.BILINEAR)
    return to_model_input(square)


def stretch_some(images: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A copy of (n, 28, 28) inputs in which a random `share` fill their box."""
    chosen = np.random.default_rng(seed).random(len(images)) < share
    stretched = images.copy()
    stretched[chosen] = [fill_box(np.uint8(255 * image)) for image in images[chosen]]
    return stretched


def augmenter(seed: int) -> keras.Sequential:
    """Random per batch, on top of `stretch_some`: stroke width, slant, size, position."""
    return keras.Sequential(
        [
            RandomStrokeWidth(thinner=0.2, seed=seed),  # thin strokes are widened before serving
            layers.RandomRotation(0.028, fill_mode="constant", seed=seed + 1),  # about ±10°
            layers.RandomZoom((-0.12, 0.12), (-0.12, 0.12), fill_mode="constant", seed=seed + 2),
            layers.RandomTranslation(0.07, 0.07, fill_mode="constant", seed=seed + 3),
        ],
        name="augment",
    )
