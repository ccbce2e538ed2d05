"""Image bytes to an answer: a digit, the digits of a number, or a piece of clothing:
decode, preprocess (segment), run the model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from app.card import ModelCard
from app.decode import decode
from app.errors import ImageError
from app.inference import Predictor, load_predictor, read_digits
from app.preprocess import fashion_input, to_model_input
from app.segment import segment
from app.settings import DIGITS, Settings

# Each task's preprocessing: an image to the (28, 28) input its model was trained on.
PREPROCESS = {DIGITS: to_model_input, "fashion": fashion_input}


@dataclass(frozen=True)
class Classification:
    index: int  # the most probable class, even when is_digit is false (the best guess)
    label: str  # its name: "7", "Sneaker"
    confidence: float
    probabilities: list[float]  # of the ten classes; for digits, given that it is one
    model_input: np.ndarray  # (28, 28) in [0, 1]
    is_digit: bool | None = None  # digits only
    not_digit_score: float | None = None  # digits only: the model's probability of "not a digit"

    @property
    def digit(self) -> int:
        return self.index


@dataclass(frozen=True)
class Reading:
    digits: list[tuple[tuple[int, int, int, int], Classification]]  # box (x, y, w, h), left to right

    @property
    def number(self) -> str | None:
        if not self.digits or not all(c.is_digit for _, c in self.digits):
            return None
        return "".join(str(c.digit) for _, c in self.digits)

    @property
    def reason(self) -> str | None:
        """Why there is no number."""
        if not self.digits:
            return "no digits found"
        odd = [str(i) for i, (_, c) in enumerate(self.digits, start=1) if not c.is_digit]
        if odd:
            return f"part {', '.join(odd)} of {len(self.digits)} does not look like a digit"
        return None


class Classifier:
    """One served model: its card, its preprocessing, its predictor."""

    def __init__(self, name: str, predictor: Predictor, card: ModelCard, backend: str, max_pixels: int,
                 max_digits: int) -> None:
        if card.task not in PREPROCESS:
            raise ValueError(f"model {name}: unknown task {card.task!r} in its card")
        self.name = name  # what the service calls it: ?model=, the OIP model name, the metrics' label
        self.predictor = predictor
        self.card = card
        self.backend = backend
        self.max_pixels = max_pixels
        self.max_digits = max_digits
        self._preprocess = PREPROCESS[card.task]

    @classmethod
    def load(cls, settings: Settings, name: str = DIGITS) -> Classifier:
        folder = settings.model_folder(name)
        card = ModelCard.read(folder / "model_card.json")
        predictor = load_predictor(settings.backend, folder, card.name)
        return cls(name, predictor, card, settings.backend, settings.max_pixels, settings.max_digits)

    @property
    def version(self) -> str:
        return self.card.version

    @property
    def reads_digits(self) -> bool:
        return self.card.task == DIGITS

    def classify_inputs(self, model_inputs: np.ndarray, outputs: np.ndarray | None = None) -> list[Classification]:
        """A batch of (28, 28) model inputs, in one model call unless their outputs are known."""
        outputs = self.predictor.predict(model_inputs) if outputs is None else outputs
        if not self.reads_digits:
            probabilities = np.asarray(outputs, dtype=np.float64)
            score = is_digit = [None] * len(probabilities)
        else:
            probabilities, score, is_digit = read_digits(outputs, self.card.not_a_digit.threshold)
        results = []
        for p, s, ok, model_input in zip(probabilities, score, is_digit, model_inputs, strict=True):
            index = int(p.argmax())
            results.append(Classification(index, self.card.labels[index], float(p[index]), p.tolist(), model_input,
                                          None if ok is None else bool(ok), None if s is None else float(s)))
        return results

    def classify_image(self, image: Image.Image) -> Classification:
        return self.classify_inputs(self._preprocess(image)[None])[0]

    def read_image(self, image: Image.Image) -> Reading:
        """The digits of a number (digit models only)."""
        segments = segment(image, self.predictor.predict, self.max_digits)
        results = self.classify_inputs(np.stack([s.model_input for s in segments]), np.stack([s.outputs for s in segments]))
        return Reading([(s.box, c) for s, c in zip(segments, results, strict=True)])

    def read(self, data: bytes) -> Reading:
        """Raises app.errors.ImageError (with its HTTP status) for unusable images."""
        return self.read_image(decode(data, self.max_pixels))

    def classify(self, data: bytes) -> Classification:
        """Raises app.errors.ImageError (with its HTTP status) for unusable images."""
        return self.classify_image(decode(data, self.max_pixels))

    def classify_many(self, images: list[bytes]) -> list[Classification]:
        """Several images in one model call. Raises app.errors.ImageError for the first
        unusable one, its detail prefixed with its position."""
        inputs = []
        for i, data in enumerate(images):
            try:
                inputs.append(self._preprocess(decode(data, self.max_pixels)))
            except ImageError as exc:
                raise type(exc)(f"image {i}: {exc.detail}", exc.code) from exc
        return self.classify_inputs(np.stack(inputs))

    def warm_up(self) -> None:
        """Runs a drawn "1" through every step, so the first request is as fast as the rest."""
        image = Image.new("L", (280, 280), 255)
        ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill=0, width=20)
        for _ in range(3):
            self.classify_image(image)
