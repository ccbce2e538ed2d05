"""Augmentation that turns centred MNIST digits into what people draw on a canvas:
slanted, squashed or stretched, a little off-centre, with thin or fat strokes."""

from __future__ import annotations

import keras
from keras import layers, ops


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


def augmenter(seed: int) -> keras.Sequential:
    return keras.Sequential(
        [
            RandomStrokeWidth(seed=seed),
            layers.RandomRotation(0.04, fill_mode="constant", seed=seed + 1),  # about ±15°
            # Independent height and width zoom: Semeion-style stretched digits too.
            layers.RandomZoom((-0.15, 0.15), (-0.3, 0.2), fill_mode="constant", seed=seed + 2),
            layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed + 3),
        ],
        name="augment",
    )
