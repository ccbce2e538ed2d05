"""Model backends: the LiteRT interpreter the service runs by default, and the
Keras/TensorFlow model as the reference. Both map (n, 28, 28) inputs in [0, 1] to
(n, classes) probabilities; for digits, 12: the digits 0-9, "not a digit", and "several
digits"."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from app.core.preprocess import SIZE
from app.core.tasks import DIGITS, NOT_A_DIGIT

BACKENDS = ("litert", "keras")
CLASSES = DIGITS.outputs  # a digit model's: the digits 0-9, "not a digit" and "several digits"


def _as_batch(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28, 1) float32 from (28, 28), (n, 28, 28) or (n, 28, 28, 1)."""
    return np.asarray(images, dtype=np.float32).reshape(-1, SIZE, SIZE, 1)


class Predictor(Protocol):
    def predict(self, images: np.ndarray) -> np.ndarray: ...

    def features(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The outputs, and the last hidden layer's: what the final layer reads (app.core.personal)."""
        ...


class Interpreter:
    """One LiteRT interpreter and its lock: an interpreter runs one inference at a time.
    With `hidden`, it keeps every intermediate tensor, so that the last hidden layer (the
    input of the last fully connected layer) can be read after a run."""

    def __init__(self, path: Path, hidden: bool = False) -> None:
        from ai_edge_litert.interpreter import Interpreter

        # One thread: the model takes ~0.1 ms an image, and requests bring their own parallelism.
        # Keeping every tensor takes ~1 MB here (LiteRT warns of it: app.cli.serve quiets that).
        self.interpreter = Interpreter(
            model_path=str(path), num_threads=1, experimental_preserve_all_tensors=hidden
        )
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        output = self.interpreter.get_output_details()[0]
        self.output, self.classes = output["index"], int(output["shape"][-1])
        self.hidden = -1
        if hidden:
            dense = [op for op in self.interpreter._get_ops_details() if op["op_name"] == "FULLY_CONNECTED"]
            if not dense:
                raise ValueError(f"{path}: no fully connected layer, so no last hidden layer to read")
            self.hidden = int(dense[-1]["inputs"][0])
        self.batch = 1
        self.lock = threading.Lock()

    def run(self, batch: np.ndarray) -> np.ndarray:
        return self._run(batch)[0]

    def run_hidden(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outputs, hidden = self._run(batch)
        assert hidden is not None
        return outputs, hidden

    def _run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        with self.lock:
            if len(batch) != self.batch:  # re-planning costs ~3 ms for 64 images: only when the size changes
                self.interpreter.resize_tensor_input(self.input, batch.shape)
                self.interpreter.allocate_tensors()
                self.batch = len(batch)
            self.interpreter.set_tensor(self.input, batch)
            self.interpreter.invoke()
            outputs = self.interpreter.get_tensor(self.output).copy()
            if self.hidden < 0:
                return outputs, None
            return outputs, self.interpreter.get_tensor(self.hidden).reshape(len(batch), -1).copy()


class LiteRTPredictor:
    """Single images through an interpreter of their own, which never resizes; batches
    through a second one, in one invoke per chunk of at most BATCH_CHUNK images."""

    BATCH_CHUNK = 64  # activations for 64 images take ~10 MB; a whole test set would take GBs

    def __init__(self, path: Path) -> None:
        self.path = path
        self._single = Interpreter(path)
        self._batch = Interpreter(path)
        self._hidden: Interpreter | None = None  # made on first use: only personal readings need it
        self._lock = threading.Lock()

    def predict(self, images: np.ndarray) -> np.ndarray:
        batch = _as_batch(images)
        if len(batch) == 1:
            return self._single.run(batch)
        chunks = [
            self._batch.run(batch[i : i + self.BATCH_CHUNK]) for i in range(0, len(batch), self.BATCH_CHUNK)
        ]
        return np.concatenate(chunks) if chunks else np.empty((0, self._single.classes), np.float32)

    def features(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if self._hidden is None:
                self._hidden = Interpreter(self.path, hidden=True)
        batch = _as_batch(images)
        runs = [
            self._hidden.run_hidden(batch[i : i + self.BATCH_CHUNK])
            for i in range(0, len(batch), self.BATCH_CHUNK)
        ]
        return np.concatenate([o for o, _ in runs]), np.concatenate([h for _, h in runs])


class KerasPredictor:
    def __init__(self, path: Path) -> None:
        import keras
        import tensorflow as tf

        model = keras.saving.load_model(path, compile=False)
        signature = [tf.TensorSpec((None, SIZE, SIZE, 1), tf.float32)]
        self._call = tf.function(lambda x: model(x, training=False), input_signature=signature)
        both = keras.Model(model.inputs, [model.outputs[0], model.layers[-1].input])
        self._both = tf.function(lambda x: both(x, training=False), input_signature=signature)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self._call(_as_batch(images)).numpy()

    def features(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outputs, hidden = self._both(_as_batch(images))
        return outputs.numpy(), hidden.numpy().reshape(len(outputs), -1)


def load_predictor(backend: str, folder: Path, stem: str) -> Predictor:
    """The model in `folder`: <stem>.tflite (LiteRT) or <stem>.keras."""
    if backend == "litert":
        return LiteRTPredictor(folder / f"{stem}.tflite")
    if backend == "keras":
        return KerasPredictor(folder / f"{stem}.keras")
    raise ValueError(f"unknown backend {backend!r}; choose from {BACKENDS}")


def read_digits(probabilities: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From (n, 12) model outputs: the digit probabilities given that it is one digit
    (n, 10; each row sums to 1), the not-a-digit score (n,: "not a digit" and "several
    digits" together), and is_digit (n,), true where the score is under the threshold."""
    outputs = np.asarray(probabilities, dtype=np.float64)
    digits = outputs[:, :NOT_A_DIGIT]
    digits = digits / np.maximum(digits.sum(axis=1, keepdims=True), 1e-30)
    score = np.clip(outputs[:, NOT_A_DIGIT:].sum(axis=1), 0, 1)  # float32 softmax overshoots 1 by ~1e-7
    return digits, score, score < threshold


def sure_answers(probabilities: np.ndarray, threshold: float, sure: float) -> np.ndarray:
    """(n,) whether each answer is one to state plainly: the digit read, if it is one, has
    at least `sure` of the twelve outputs' probability; else the not-a-digit score has."""
    outputs = np.asarray(probabilities, dtype=np.float64)
    _, score, is_digit = read_digits(outputs, threshold)
    return np.where(is_digit, outputs[:, :NOT_A_DIGIT].max(axis=1), score) >= sure
