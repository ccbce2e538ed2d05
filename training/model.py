"""The networks: the served CNN, and the small dense network kept for comparison.
Both read 12 classes: the digits 0-9, "not a digit" and "several digits"."""

from __future__ import annotations

import keras
from keras import layers

from app.inference import CLASSES
from app.preprocess import SIZE


def _conv(x, filters: int, kernel: int):
    x = layers.Conv2D(filters, kernel, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def cnn() -> keras.Model:
    """LeNet's shape with batch norm: 320k parameters, ~35 s an epoch of 80,000 images on 2 cores."""
    inputs = keras.Input((SIZE, SIZE, 1), name="image")
    x = layers.MaxPooling2D()(_conv(inputs, 32, 5))
    x = layers.MaxPooling2D()(_conv(_conv(x, 64, 3), 64, 3))
    x = layers.Flatten()(x)
    x = layers.Dense(256, use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digitpad_cnn")


def mlp() -> keras.Model:
    inputs = keras.Input((SIZE, SIZE, 1), name="image")
    x = layers.Dense(128, activation="relu")(layers.Flatten()(inputs))
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digitpad_mlp")


def build_model(arch: str) -> keras.Model:
    if arch == "cnn":
        return cnn()
    if arch == "mlp":
        return mlp()
    raise ValueError(f"unknown architecture {arch!r}; choose cnn or mlp")
