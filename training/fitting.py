"""What every training run shares, whatever the data set: seeding, a fit that resumes
where it was interrupted, and the LiteRT export checked against Keras. TensorFlow loads
on first use, so that commands check their data before paying for it."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.inference import LiteRTPredictor

if TYPE_CHECKING:
    import keras
    import tensorflow as tf


def seeded(seed: int) -> None:
    """The same seed and data give the same weights (TensorFlow's deterministic ops)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_history(path: Path) -> dict[str, list[float]]:
    rows = np.genfromtxt(path, delimiter=",", names=True)
    rows = np.atleast_1d(rows)
    # Keras' CSVLogger writes val_ columns even without validation data, all "NA".
    return {name: rows[name].tolist() for name in rows.dtype.names
            if name != "epoch" and not np.isnan(rows[name]).all()}


def fit_resumable(model: keras.Model, train_ds: tf.data.Dataset, epochs: int, out: Path, work: Path,
                  validation=None, callbacks: tuple[keras.callbacks.Callback, ...] = ()) -> float:
    """Fits, logging each epoch to out/history.csv and backing it up in work/backup; run
    again after an interruption, it resumes from the last finished epoch. Returns the
    seconds the fit took."""
    import keras

    if not (work / "backup").exists():  # a fresh run, not a resumed one
        (out / "history.csv").unlink(missing_ok=True)
    every = [  # in this order: an epoch's history row is written before its backup
        keras.callbacks.CSVLogger(out / "history.csv", append=True),
        keras.callbacks.BackupAndRestore(str(work / "backup")),
        *callbacks,
    ]
    started = time.monotonic()
    model.fit(train_ds, epochs=epochs, validation_data=validation, callbacks=every,
              verbose=1 if sys.stdout.isatty() else 2)
    return time.monotonic() - started


def export(model: keras.Model, work: Path, out: Path, stem: str, x_check: np.ndarray
           ) -> tuple[keras.Model, LiteRTPredictor, float]:
    """Writes out/<stem>.keras (without optimizer state) and out/<stem>.tflite; returns the
    shipped Keras model, the LiteRT one, and their largest difference on `x_check`."""
    import keras

    model.save(work / "trained.keras")
    model = keras.saving.load_model(work / "trained.keras", compile=False)  # no optimizer state shipped
    model.save(out / f"{stem}.keras")
    model.export(str(out / f"{stem}.tflite"), format="litert", verbose=False)
    litert = LiteRTPredictor(out / f"{stem}.tflite")
    parity = float(np.abs(litert.predict(x_check) - model.predict(x_check[..., None], verbose=0)).max())
    return model, litert, parity
