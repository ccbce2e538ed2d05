"""A whole line of digits, read without cutting it first: the strip the number reader
sees, and its answer decoded.

The reader (a convolutional network trained with CTC, `training.recipes`' numbers)
takes the ink of the whole drawing, cropped and scaled to a strip HEIGHT px high (the
digits about MNIST's 20 px, with its margins), left-aligned in WIDTH px. It answers, for
each of STEPS columns of the strip, the probability of each digit and of "no digit
here" (CTC's blank). The best path, with repeats and blanks collapsed, is the number;
the columns where each digit's probability peaks place its box. Digits that touch or
overlap are read as they are, with no cut to get wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.inference import Interpreter
from app.core.preprocess import BOX, MIN_STROKE, SIZE, _crop, _dilate, _padded, _stroke_width, ink_field
from app.core.tasks import DIGIT_LABELS, NOTHING_MORE, Task

HEIGHT = SIZE
WIDTH = 8 * SIZE  # px: eight digits at MNIST's size; a longer number is scaled down to fit
MARGIN = (SIZE - BOX) // 2
STRIDE = 4  # px of the strip per output step
STEPS = WIDTH // STRIDE
BLANK = 0  # CTC's "no digit here"; digit d is output d + 1
CLASSES = 11


def number_input(image: Image.Image) -> np.ndarray:
    """(HEIGHT, WIDTH) float32: the strip of an image's ink; raises Refusal (no_ink)."""
    return strip_input(ink_field(image)[0]).pixels


# The strip reader's task: never served as a model of its own (not in app.core.tasks.TASKS),
# but read for the digit models.
NUMBERS = Task(
    name="numbers",
    title="Numbers",
    noun="number",
    labels=DIGIT_LABELS,
    preprocess=number_input,
    input_meaning="a line of white ink on black in [0, 1], 28 px high, the digits about 20 px, from the left "
    "(app.core.strip.strip_input)",
    can=NOTHING_MORE,
)


@dataclass(frozen=True)
class Strip:
    pixels: np.ndarray  # (HEIGHT, WIDTH) float32 in [0, 1], white ink on black
    scale: float  # strip px per px of the ink field
    left: int  # where the ink's box starts in the ink field, x and y
    top: int


@dataclass(frozen=True)
class Character:
    digit: int
    probabilities: np.ndarray  # (10,) of the digits at its peak step, given that a digit is there
    confidence: float  # the peak's probability of that digit, blank included
    start: int  # the steps its path covers, in strip px: [start, stop)
    stop: int


def strip_input(ink: np.ndarray) -> Strip:
    """The strip of an ink field (any size, [0, 1]): its ink's box, the digits' height
    scaled to MNIST's 20 px unless the line is too long for WIDTH, strokes widened to
    MNIST's pen as a single digit's are."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = _crop(ink)
    height, width = crop.shape
    scale = min(BOX / height, (WIDTH - 2 * MARGIN) / width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    radius = int(np.ceil((MIN_STROKE / scale - _stroke_width(crop)) / 2))
    if radius > 0:
        crop = _dilate(_padded(crop, radius), radius)[radius:-radius, radius:-radius]
    resized = np.asarray(Image.fromarray(crop.astype(np.float32)).resize(size, Image.Resampling.BILINEAR))
    peak = resized.max()
    pixels = np.zeros((HEIGHT, WIDTH), np.float32)
    top = (HEIGHT - size[1]) // 2
    pixels[top : top + size[1], MARGIN : MARGIN + size[0]] = np.clip(
        resized / peak if peak > 0 else resized, 0, 1
    )
    return Strip(pixels, scale, int(cols[0]), int(rows[0]))


def decode(probabilities: np.ndarray) -> list[Character]:
    """The best path through (STEPS, CLASSES) probabilities, blanks and repeats collapsed."""
    best = probabilities.argmax(axis=1)
    characters: list[Character] = []
    step = 0
    while step < len(best):
        label = int(best[step])
        end = step
        while end + 1 < len(best) and best[end + 1] == label:
            end += 1
        if label != BLANK:
            run = probabilities[step : end + 1, label]
            peak = step + int(run.argmax())
            digits = probabilities[peak, 1:]
            characters.append(
                Character(
                    label - 1, digits / digits.sum(), float(run.max()), step * STRIDE, (end + 1) * STRIDE
                )
            )
        step = end + 1
    return characters


def box_in_field(strip: Strip, character: Character, ink: np.ndarray) -> tuple[int, int, int, int]:
    """The character's columns of the strip as (left, top, right, bottom) in the ink field,
    its top and bottom those of the ink within them."""
    left = strip.left + int(np.floor((character.start - MARGIN) / strip.scale))
    right = strip.left + int(np.ceil((character.stop - MARGIN) / strip.scale))
    left, right = max(0, left), min(ink.shape[1], max(left + 1, right))
    rows = np.flatnonzero(ink[:, left:right].any(axis=1))
    top, bottom = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, ink.shape[0])
    return left, top, right, bottom


class NumberReader:
    """The strip reader's LiteRT model: strips to each column's probabilities."""

    BATCH_CHUNK = 64

    def __init__(self, path: Path) -> None:
        self.path = path
        self._interpreter = Interpreter(path)

    def predict(self, strips: np.ndarray) -> np.ndarray:
        """(n, STEPS, CLASSES) from (n, HEIGHT, WIDTH) strips."""
        batch = np.asarray(strips, np.float32).reshape(-1, HEIGHT, WIDTH, 1)
        chunks = [
            self._interpreter.run(batch[i : i + self.BATCH_CHUNK])
            for i in range(0, len(batch), self.BATCH_CHUNK)
        ]
        return np.concatenate(chunks) if chunks else np.empty((0, STEPS, CLASSES), np.float32)

    def features(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError("the strip reader has no personal features")

    def read_strips(self, strips: np.ndarray) -> list[list[Character]]:
        return [decode(p) for p in self.predict(strips)]

    def read(self, ink: np.ndarray) -> tuple[Strip, list[Character]]:
        """The digits of an ink field's line, left to right."""
        strip = strip_input(ink)
        return strip, decode(self.predict(strip.pixels[None])[0])


def load_number_reader(folder: Path) -> NumberReader | None:
    """The strip reader in `folder` (numbers.tflite, with its card), or None where there is
    none or it will not load: numbers are then read by cutting alone, as they were."""
    path = folder / "numbers.tflite"
    if not path.is_file():
        return None
    try:
        return NumberReader(path)
    except (OSError, ValueError) as exc:
        logging.getLogger("digitpad").error("strip reader not loaded from %s: %s", folder, exc)
        return None
