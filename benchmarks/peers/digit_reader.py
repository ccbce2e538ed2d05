"""What every peer server runs for one image: the service's own decoding, preprocessing
and LiteRT model (app.core), so that the peers differ only in how they serve it.

Imported by the peers' scripts as a top-level module (the runner puts this folder on
PYTHONPATH beside the repository), not through `benchmarks.peers`, whose runner needs
packages the peers' virtual environments do not have.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from app.core.card import ModelCard
from app.core.decode import decode
from app.core.inference import LiteRTPredictor, read_digits
from app.core.limits import Limits
from app.core.tasks import DIGITS

MODELS = Path(__file__).resolve().parents[2] / "models" / "digits"


class Answer(TypedDict):
    digit: int
    probabilities: list[float]  # P(0) ... P(9) given that it is a digit, as /predict has them
    is_digit: bool
    not_digit_score: float


class DigitReader:
    def __init__(self, folder: Path = MODELS) -> None:
        card = ModelCard.read(folder / "model_card.json")
        assert card.not_a_digit is not None  # the digit model rejects what is not a digit
        self.threshold = card.not_a_digit.threshold
        self.predictor = LiteRTPredictor(folder / f"{card.name}.tflite")
        self.limits = Limits()

    def read(self, data: bytes) -> Answer:
        outputs = self.predictor.predict(DIGITS.preprocess(decode(data, self.limits)))
        probabilities, score, is_digit = read_digits(outputs, self.threshold)
        return Answer(
            digit=int(probabilities[0].argmax()),
            probabilities=probabilities[0].tolist(),
            is_digit=bool(is_digit[0]),
            not_digit_score=float(score[0]),
        )
