"""Image bytes to a digit: decode, preprocess, run the model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from app.decode import decode
from app.inference import Predictor, load_predictor, read_digits
from app.preprocess import to_model_input
from app.settings import Settings


@dataclass(frozen=True)
class Classification:
    digit: int  # the most probable digit, even when is_digit is false (the best guess)
    confidence: float
    probabilities: list[float]  # of the ten digits, given that it is one
    is_digit: bool
    not_digit_score: float  # the model's probability of "not a digit"
    model_input: np.ndarray  # (28, 28) in [0, 1]


class Classifier:
    def __init__(self, predictor: Predictor, card: dict, backend: str, max_pixels: int) -> None:
        self.predictor = predictor
        self.card = card
        self.backend = backend
        self.max_pixels = max_pixels

    @classmethod
    def load(cls, settings: Settings) -> Classifier:
        card = json.loads(Path(settings.model_dir, "model_card.json").read_text())
        predictor = load_predictor(settings.backend, settings.model_dir)
        return cls(predictor, card, settings.backend, settings.max_pixels)

    @property
    def version(self) -> str:
        return self.card["version"]

    @property
    def threshold(self) -> float:
        return self.card["not_a_digit"]["threshold"]

    def classify_image(self, image: Image.Image) -> Classification:
        model_input = to_model_input(image)
        digits, score, is_digit = read_digits(self.predictor.predict(model_input), self.threshold)
        probabilities = digits[0]
        digit = int(probabilities.argmax())
        return Classification(digit, float(probabilities[digit]), probabilities.tolist(), bool(is_digit[0]),
                              float(score[0]), model_input)

    def classify(self, data: bytes) -> Classification:
        """Raises app.errors.ImageError (with its HTTP status) for unusable images."""
        return self.classify_image(decode(data, self.max_pixels))

    def warm_up(self) -> None:
        """Runs a drawn "1" through every step, so the first request is as fast as the rest."""
        image = Image.new("L", (280, 280), 255)
        ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill=0, width=20)
        for _ in range(3):
            self.classify_image(image)
