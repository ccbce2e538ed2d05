"""What the network does with one image, layer by layer: every layer's activations
as small 8-bit grey images, and which pixels pushed the answer towards the winning
digit and which against (occlusion sensitivity).

Both come from LiteRT, without TensorFlow: the layers model (digits_layers.tflite,
written by training.explain_export from the served Keras model) gives every layer's
output in one call, and the served model itself, given every occluded copy of the
input as one batch, gives the attribution in one more."""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.card import Layer, ModelCard
from app.core.inference import read_digits, sure_answers
from app.core.ink import Source, image_of
from app.core.limits import Limits
from app.core.preprocess import SIZE
from app.core.tasks import NOT_A_DIGIT, task


def layers_file(name: str) -> str:
    """The layers model of the model whose card is called `name`."""
    return f"{name}_layers.tflite"


MAP_COLUMNS = 8  # feature maps per row of a layer's image
# Occlusion: a patch of paper over the input, PATCH px square, every STRIDE px. A 4 px
# patch hides a piece of an MNIST-width stroke (2-3 px); every 3 px, its 81 copies take
# ~9 ms (every 2 px, 169 copies, ~20 ms: too slow for a live panel).
PATCH, STRIDE = 4, 3
CORNERS = [(y, x) for y in range(0, SIZE - PATCH + 1, STRIDE) for x in range(0, SIZE - PATCH + 1, STRIDE)]


@dataclass(frozen=True)
class LayerOutput:
    layer: Layer
    png: bytes  # the layer's outputs as an 8-bit grey image, feature maps side by side
    columns: int  # feature maps (or units) per row of the image
    scale: float  # the activation shown as white
    signed: bool  # mid-grey is 0 and black is -scale; otherwise black is 0
    values: np.ndarray | None  # the activations themselves, for layers of units (one axis)


@dataclass(frozen=True)
class Explanation:
    model_input: np.ndarray  # (28, 28) in [0, 1]
    outputs: np.ndarray  # (12,) the model's probabilities
    digits: np.ndarray  # (10,) given that it is a digit
    not_digit_score: float
    is_digit: bool
    sure: bool  # as app.core.inference.sure_answers has it
    layers: list[LayerOutput]
    attribution: np.ndarray  # (28, 28) in [-1, 1]: + pushed towards the winning digit, - against
    attribution_scale: float  # the change of the winning digit's log-odds that 1 stands for

    @property
    def digit(self) -> int:
        return int(self.digits.argmax())


def grey_image(activations: np.ndarray) -> tuple[bytes, int, float, bool]:
    """One layer's outputs, (h, w, channels) or (units,), as a PNG of its channels side by
    side, MAP_COLUMNS to a row (units: one row of 1 px cells), with the number per row,
    the scale and whether it is signed.

    One scale per layer, its largest |activation|, so that the channels of a layer
    compare with one another; each layer has its own, so that a layer of small values
    is not black. Layers with negative values (a convolution before its ReLU) put 0 at
    mid-grey."""
    maps = activations.reshape(1, 1, -1) if activations.ndim == 1 else activations
    height, width, channels = maps.shape
    columns = channels if activations.ndim == 1 else min(channels, MAP_COLUMNS)
    rows = math.ceil(channels / columns)
    scale = float(np.abs(maps).max())
    signed = bool(maps.min() < 0)
    unit = maps / scale if scale > 0 else np.zeros_like(maps)
    levels = np.rint(127.5 + 127.5 * unit if signed else 255 * unit).astype(np.uint8)
    tiles = np.zeros((rows * columns, height, width), np.uint8)
    tiles[:channels] = levels.transpose(2, 0, 1)
    sprite = (
        tiles.reshape(rows, columns, height, width)
        .transpose(0, 2, 1, 3)
        .reshape(rows * height, columns * width)
    )
    buffer = io.BytesIO()
    Image.fromarray(sprite).save(buffer, "PNG", compress_level=1)  # 3 ms for all 17; 9 saves 9% in 23 ms
    return buffer.getvalue(), columns, scale, signed


def winner_log_odds(outputs: np.ndarray, digit: int) -> np.ndarray:
    """log P(digit) / P(any other digit), from (n, 12) outputs: it does not saturate
    near certainty as the probability does, so occluding a confident digit still shows."""
    digits = np.asarray(outputs, np.float64)[:, :NOT_A_DIGIT]
    others = digits.sum(axis=1) - digits[:, digit]
    return np.log(np.maximum(digits[:, digit], 1e-37)) - np.log(np.maximum(others, 1e-37))


class LayersRunner:
    """The layers model: one image in, every layer's output out, by layer name."""

    def __init__(self, path: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(path), num_threads=1)
        signature = interpreter.get_signature_list()["serving_default"]
        self.names = set(signature["outputs"])
        self._input = signature["inputs"][0]
        self._runner = interpreter.get_signature_runner()
        self._lock = threading.Lock()

    def run(self, model_input: np.ndarray) -> dict[str, np.ndarray]:
        batch = np.asarray(model_input, np.float32).reshape(1, SIZE, SIZE, 1)
        with self._lock:
            outputs = self._runner(**{self._input: batch})
        return {name: output[0] for name, output in outputs.items()}


class OcclusionRunner:
    """The served model, sized once for every occluded copy of an input: one invoke a request."""

    def __init__(self, path: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(path), num_threads=1)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._interpreter.resize_tensor_input(self._input, [len(CORNERS), SIZE, SIZE, 1])
        self._interpreter.allocate_tensors()
        self._lock = threading.Lock()

    def attribution(
        self, model_input: np.ndarray, outputs: np.ndarray, digit: int
    ) -> tuple[np.ndarray, float]:
        """Each pixel's mean, over the patches that hide it, of how much hiding the patch
        lowers the digit's log-odds; scaled to [-1, 1], with the scale."""
        batch = np.repeat(np.asarray(model_input, np.float32)[None], len(CORNERS), axis=0)
        for copy, (y, x) in zip(batch, CORNERS, strict=True):
            copy[y : y + PATCH, x : x + PATCH] = 0
        with self._lock:
            self._interpreter.set_tensor(self._input, batch[..., None])
            self._interpreter.invoke()
            occluded = self._interpreter.get_tensor(self._output)
        drops = winner_log_odds(outputs[None], digit)[0] - winner_log_odds(occluded, digit)
        total, hidden = np.zeros((SIZE, SIZE)), np.zeros((SIZE, SIZE))
        for drop, (y, x) in zip(drops, CORNERS, strict=True):
            total[y : y + PATCH, x : x + PATCH] += drop
            hidden[y : y + PATCH, x : x + PATCH] += 1
        attribution = total / hidden
        scale = float(np.abs(attribution).max())
        return (attribution / scale if scale > 0 else attribution), scale


class Explainer:
    """Looks inside a digit model (its task rejects non-digits, so it has twelve outputs)."""

    def __init__(
        self, layers: LayersRunner, occlusion: OcclusionRunner, card: ModelCard, limits: Limits
    ) -> None:
        if not task(card.task).can.look_inside or card.not_a_digit is None:
            raise ValueError(f"model {card.name} cannot be looked inside: its task is {card.task}")
        if not card.layers:
            raise ValueError("the model card lists no layers: run python -m training.explain_export")
        missing = {layer.name for layer in card.layers} - layers.names
        if missing:
            raise ValueError(f"the layers model has no output for {sorted(missing)}")
        self.card = card
        self._layers = layers
        self._occlusion = occlusion
        self.limits = limits
        self.threshold = card.not_a_digit.threshold
        self.sure = card.not_a_digit.sure

    @classmethod
    def load(cls, folder: Path, card: ModelCard, limits: Limits) -> Explainer:
        """The layers model and the served one beside it; raises OSError or ValueError."""
        explainer = cls(
            LayersRunner(folder / layers_file(card.name)),
            OcclusionRunner(folder / f"{card.name}.tflite"),
            card,
            limits,
        )
        explainer.explain_input(np.eye(SIZE, dtype=np.float32))  # LiteRT plans its work on the first call
        return explainer

    @property
    def version(self) -> str:
        return self.card.version

    def explain(self, source: Source) -> Explanation:
        """The image read as one digit, as /predict reads it. Raises app.core.errors.Refusal."""
        return self.explain_input(task(self.card.task).preprocess(image_of(source, self.limits)))

    def explain_input(self, model_input: np.ndarray) -> Explanation:
        activations = self._layers.run(model_input)
        layers = []
        for layer in self.card.layers or []:
            output = activations[layer.name]
            png, columns, scale, signed = grey_image(output)
            layers.append(
                LayerOutput(layer, png, columns, scale, signed, output if output.ndim == 1 else None)
            )
        outputs = activations[layers[-1].layer.name]
        digits, score, is_digit = read_digits(outputs[None], self.threshold)
        digit = int(digits[0].argmax())
        attribution, scale = self._occlusion.attribution(model_input, outputs, digit)
        sure = bool(sure_answers(outputs[None], self.threshold, self.sure)[0])
        return Explanation(
            model_input,
            outputs,
            digits[0],
            float(score[0]),
            bool(is_digit[0]),
            sure,
            layers,
            attribution,
            scale,
        )
