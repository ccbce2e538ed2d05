"""What each recipe (training.recipes) trains, in Keras: its network, its augmentation,
and where it has them, its loss and what wraps the trained network for export. Kept
apart from the recipes because it needs TensorFlow: the loop (training.fitting) reads it
once the recipe has checked its data."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from training import model
from training.augment import augmenter, clothes_augmenter
from training.recipes import DENSE_UNITS
from training.tf import keras


@dataclass(frozen=True)
class Network:
    build: Callable[[], keras.Model]
    augment: Callable[[int], keras.Layer] | None  # from the seed; None: the data are varied as they are made
    loss: Callable[[], keras.losses.Loss] | None = None  # None: cross-entropy on the classes
    wrap: Callable[[keras.Model], keras.Model] | None = None  # around the trained network, for export


NETWORKS = {  # by recipe
    "digits": Network(model.cnn, augmenter),
    "dense": Network(functools.partial(model.dense, DENSE_UNITS), augmenter),
    "numbers": Network(model.strip_reader, None, loss=model.ctc_loss, wrap=model.with_softmax),
    "fashion": Network(model.fashion_cnn, clothes_augmenter, wrap=model.with_mirror),
}
