"""Image bytes to an answer: a digit, the digits of a number, or a piece of clothing:
decode, preprocess (segment), run the model, in the words of the model's task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from app.core.card import ModelCard
from app.core.decode import decode, header_pixels
from app.core.errors import Code, Refusal
from app.core.inference import Predictor, load_predictor, read_digits, sure_answers
from app.core.ink import Source, image_of
from app.core.layout import layout_problem, several_as_a_whole, union
from app.core.limits import Limits
from app.core.personal import Profile
from app.core.preprocess import digit_input, ink_field, whole_input
from app.core.segment import Segment, segment
from app.core.strip import NumberReader, box_in_field
from app.core.tasks import Abilities, Task, task


@dataclass(frozen=True)
class Classification:
    index: int  # the most probable class, even when is_digit is false (the best guess)
    label: str  # its name: "7", "Sneaker"
    confidence: float
    probabilities: list[float]  # of the ten classes; for digits, given that it is one
    model_input: np.ndarray  # (28, 28) in [0, 1]
    is_digit: bool | None = None  # digits only
    not_digit_score: float | None = None  # digits only: the model's probability of "not a digit"
    sure: bool | None = None  # digits only: whether the answer (a digit, or not one) is one to state plainly
    nearest: list[int] | None = None  # with a person's examples: the ids of those most like it

    @property
    def personal(self) -> bool:
        """Whether a person's examples took part in the answer."""
        return self.nearest is not None

    @property
    def digit(self) -> int:
        return self.index


@dataclass(frozen=True)
class Reading:
    digits: list[tuple[tuple[int, int, int, int], Classification]]  # box (x, y, w, h), left to right
    whole: Classification  # the whole drawing as one image, as /predict reads it
    layout: str | None = None  # why the parts are not a number's digits, if they are not

    @property
    def number(self) -> str | None:
        if self.layout or not self.digits or not all(c.is_digit for _, c in self.digits):
            return None
        return "".join(str(c.digit) for _, c in self.digits)

    @property
    def reason(self) -> str | None:
        """Why there is no number."""
        if not self.digits:
            return "no digits found"
        if self.layout:
            return self.layout
        odd = [str(i) for i, (_, c) in enumerate(self.digits, start=1) if not c.is_digit]
        if len(self.digits) == 1 and odd:
            return "it does not look like a digit"
        if odd:
            return f"part {', '.join(odd)} of {len(self.digits)} does not look like a digit"
        return None

    @property
    def sure(self) -> bool:
        """Whether the answer is one to state plainly: every digit of the number is sure, or,
        without a number, the drawing as a whole or a part is surely not a digit."""
        if self.number is not None:
            return all(bool(c.sure) for _, c in self.digits)
        if self.layout:
            return True
        return bool(self.whole.sure) or any(c.sure and not c.is_digit for _, c in self.digits)


CLEAR_DIGIT = 0.9  # a part this probably one particular digit (of the twelve outputs) is clearly one
STRIP_SURE_ENOUGH = 0.6  # the strip reader's reading stands only where each digit is this probable


class _Personal:
    """A judge of model inputs as a person's examples change the model's outputs; it
    remembers which examples were nearest each input it judged."""

    def __init__(self, predictor: Predictor, profile: Profile) -> None:
        self.predictor = predictor
        self.profile = profile
        self._nearest: dict[bytes, list[int]] = {}

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        outputs, hidden = self.predictor.features(inputs)
        adjusted, nearest = self.profile.adjust(outputs, hidden)
        for model_input, ids in zip(inputs, nearest, strict=True):
            self._nearest[np.asarray(model_input, np.float32).tobytes()] = ids
        return adjusted

    def nearest(self, inputs: np.ndarray) -> list[list[int] | None]:
        return [self._nearest.get(np.asarray(x, np.float32).tobytes()) for x in inputs]


class Classifier:
    """One served model: its name, card, task and predictor, within its limits."""

    def __init__(
        self, name: str, predictor: Predictor, card: ModelCard, backend: str, limits: Limits
    ) -> None:
        self.name = name  # what the service calls it: ?model=, the OIP model name, the metrics' label
        self.predictor = predictor
        self.card = card
        self.task: Task = task(card.task)
        if (
            list(card.labels) != list(self.task.labels)
            or (card.not_a_digit is not None) != self.task.can.reject
        ):
            raise ValueError(
                f"model {name}: its card's labels or not-a-digit threshold do not fit task {card.task}"
            )
        self.backend = backend
        self.limits = limits
        self.folder: Path | None = None
        self.numbers: NumberReader | None = None  # the strip reader, for a digit model that has one

    @classmethod
    def load(
        cls, name: str, folder: Path, backend: str = "litert", limits: Limits | None = None
    ) -> Classifier:
        """The model in `folder` (its card, and the file it names); raises OSError or ValueError."""
        card = ModelCard.read(folder / "model_card.json")
        model = cls(name, load_predictor(backend, folder, card.name), card, backend, limits or Limits())
        model.folder = folder
        return model

    @property
    def version(self) -> str:
        return self.card.version

    @property
    def title(self) -> str:
        return self.card.title or self.card.architecture

    @property
    def can(self) -> Abilities:
        return self.task.can

    def _judge(self, profile: Profile | None) -> _Personal | None:
        """With a person's examples, for a model that reads digits."""
        return (
            _Personal(self.predictor, profile) if profile is not None and self.can.learn_personally else None
        )

    def classify_inputs(
        self,
        model_inputs: np.ndarray,
        outputs: np.ndarray | None = None,
        nearest: list[list[int] | None] | None = None,
    ) -> list[Classification]:
        """A batch of (28, 28) model inputs, in one model call unless their outputs are known
        (and, for outputs a person's examples changed, the examples nearest each)."""
        outputs = self.predictor.predict(model_inputs) if outputs is None else outputs
        if self.card.not_a_digit is None:  # the task rejects nothing
            probabilities = np.asarray(outputs, dtype=np.float64)
            return [
                self._classification(p, model_input)
                for p, model_input in zip(probabilities, model_inputs, strict=True)
            ]
        threshold = self.card.not_a_digit.threshold
        probabilities, score, is_digit = read_digits(outputs, threshold)
        sure = sure_answers(outputs, threshold, self.card.not_a_digit.sure)
        nearest = nearest or [None] * len(model_inputs)
        return [
            self._classification(p, model_input, bool(ok), float(s), bool(plain), near)
            for p, s, ok, plain, model_input, near in zip(
                probabilities, score, is_digit, sure, model_inputs, nearest, strict=True
            )
        ]

    def _classification(
        self,
        probabilities: np.ndarray,
        model_input: np.ndarray,
        is_digit: bool | None = None,
        not_digit_score: float | None = None,
        sure: bool | None = None,
        nearest: list[int] | None = None,
    ) -> Classification:
        index = int(probabilities.argmax())
        return Classification(
            index,
            self.task.labels[index],
            float(probabilities[index]),
            probabilities.tolist(),
            model_input,
            is_digit,
            not_digit_score,
            sure,
            nearest,
        )

    def classify_image(self, image: Image.Image, profile: Profile | None = None) -> Classification:
        inputs = self.task.preprocess(image)[None]
        judge = self._judge(profile)
        if judge is None:
            return self.classify_inputs(inputs)[0]
        return self.classify_inputs(inputs, judge(inputs), judge.nearest(inputs))[0]

    def read_image(self, image: Image.Image, profile: Profile | None = None) -> Reading:
        """The digits of a number, judged as a whole first: a drawing the model is sure is
        one digit, or finds as a whole one, is read as /predict reads it (the two agree);
        one it takes for several digits is cut into its parts, which must be laid out
        like a number's digits; one it finds is not a digit is no number, however its
        parts look. Where the strip reader reads the line otherwise (digits that touch,
        which cutting got wrong), and the whole may be several digits, its reading stands."""
        field = ink_field(image)  # once, for the whole drawing (as /predict has it) and its parts
        as_one = whole_input(field[0])
        personal = self._judge(profile)
        judge = personal or self.predictor.predict
        segments, outputs = segment(image, judge, self.limits.max_digits, field, as_one)
        assert outputs is not None
        whole = self.classify_inputs(
            as_one[None], outputs[None], personal.nearest(as_one[None]) if personal else None
        )[0]
        box = union([s.box for s in segments])
        if len(segments) == 1 or (whole.is_digit and whole.sure):
            reading = Reading([(box, whole)], whole)
        else:
            reading = self._parts(segments, whole, outputs, box, personal)
        if self.numbers is None or (not whole.is_digit and not several_as_a_whole(box, outputs)):
            return reading
        return self._or_the_strip(reading, image, field, box)

    def _parts(
        self,
        segments: list[Segment],
        whole: Classification,
        outputs: np.ndarray,
        box: tuple[int, int, int, int],
        personal: _Personal | None,
    ) -> Reading:
        parts = np.stack([s.model_input for s in segments])
        results = self.classify_inputs(
            parts, np.stack([s.outputs for s in segments]), personal.nearest(parts) if personal else None
        )
        digits = [(s.box, c) for s, c in zip(segments, results, strict=True)]
        # A number's whole, squeezed into 28x28, may look like nothing; its parts, each
        # clearly a digit, outweigh that. Where some part is not clearly one, the whole decides.
        clear = all(
            c.is_digit and c.confidence * (1 - (c.not_digit_score or 0)) >= CLEAR_DIGIT for c in results
        )
        if not whole.is_digit and not several_as_a_whole(box, outputs) and not clear:
            return Reading(digits, whole, "as a whole, it does not look like a number")
        return Reading(digits, whole, layout_problem([box for box, _ in digits]))

    def _or_the_strip(
        self,
        reading: Reading,
        image: Image.Image,
        field: tuple[np.ndarray, int],
        box: tuple[int, int, int, int],
    ) -> Reading:
        """The strip reader's reading of the line where cutting gave no number and it is
        sure of every digit; the cut one wherever it is a number (its boxes, and the digit
        model's bars, are the finer: the strip reader read some real numbers short), and
        for a single upright digit the digit model is sure of (/predict's answer)."""
        assert self.numbers is not None and self.card.not_a_digit is not None
        ink, factor = field
        strip, characters = self.numbers.read(ink)
        if (
            reading.number is not None
            or not characters
            or len(characters)
            < len(reading.digits)  # it left out a part the cut found: a letter among digits
            or min(c.confidence for c in characters) < STRIP_SURE_ENOUGH
        ):
            return reading
        single = len(reading.digits) == 1 and bool(reading.whole.is_digit and reading.whole.sure)
        if single and box[2] < box[3]:  # taller than wide: one digit, as /predict reads it
            return reading
        scale = factor * image.info.get("scale", 1.0)
        digits = []
        for character in characters:
            left, top, right, bottom = box_in_field(strip, character, ink)
            crop = ink[top:bottom, left:right]
            model_input = (
                digit_input(crop[np.ix_(crop.any(axis=1), crop.any(axis=0))]) if crop.any() else crop
            )
            digit_box = (
                round(left * scale),
                round(top * scale),
                round((right - left) * scale),
                round((bottom - top) * scale),
            )
            digits.append(
                (
                    digit_box,
                    Classification(
                        character.digit,
                        self.task.labels[character.digit],
                        float(character.probabilities.max()),
                        character.probabilities.tolist(),
                        model_input,
                        True,
                        1 - character.confidence,
                        character.confidence >= self.card.not_a_digit.sure,
                    ),
                )
            )
        return Reading(digits, reading.whole)

    def read(self, source: Source, profile: Profile | None = None) -> Reading:
        """Raises Refusal for unusable images."""
        return self.read_image(image_of(source, self.limits), profile)

    def classify(self, source: Source, profile: Profile | None = None) -> Classification:
        """Raises Refusal for unusable images."""
        return self.classify_image(image_of(source, self.limits), profile)

    def classify_many(self, images: list[bytes]) -> list[Classification]:
        """Several images in one model call. Raises Refusal for the first unusable one,
        its detail prefixed with its position."""
        pixels = sum(map(header_pixels, images))
        if pixels > self.limits.max_pixels:
            raise Refusal(
                Code.BATCH_TOO_LARGE,
                f"the images hold {pixels} pixels together; at most "
                f"{self.limits.max_pixels} in one request (the limit of one image): send fewer",
            )
        inputs = []
        for i, data in enumerate(images):
            try:
                inputs.append(self.task.preprocess(decode(data, self.limits)))
            except Refusal as exc:
                raise exc.within(f"image {i}") from exc
        return self.classify_inputs(np.stack(inputs))

    def warm_up(self) -> None:
        """Runs a drawn "1" through every step, so the first request is as fast as the rest."""
        image = Image.new("L", (280, 280), 255)
        ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill=0, width=20)
        for _ in range(3):
            self.classify_image(image)
