"""Tasks: what a model reads, apart from what the model is called.

A task says which classes a model tells apart, how an image becomes its input, what its
models can do beyond that (`Abilities`: the one name for each, in Python, in /model and on
the page), and its words for people on the page and in the Open Inference Protocol's
metadata. A model card names its task;
the service, training and evaluation look everything else up here, so a digit model
served under any name reads numbers, and adding a model is a task (or an existing one),
a training recipe and a folder in models/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from app.core.preprocess import as_image, fashion_input, to_model_input

DIGIT_LABELS = tuple(str(digit) for digit in range(10))
# Fashion-MNIST's classes, in order
FASHION_LABELS = (
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)
NOT_A_DIGIT = 10  # the outliers a digit model learnt to reject: letters, doodles, clothes
SEVERAL_DIGITS = 11  # digits side by side or touching: not one digit either, but a number
NOT_A_DIGIT_LABELS = ("not a digit", "several digits")  # the outputs after the labels of a task that rejects


@dataclass(frozen=True)
class Abilities:
    """What a model can do beyond telling its classes apart. The service checks these,
    never a task's name, and the page gets them from /model."""

    reject: bool  # outputs "not a digit" and "several digits" after its labels
    read_numbers: bool  # /read cuts a drawing into its digits (each part may be none: needs reject)
    learn_personally: bool  # a person's examples adjust its answers (/examples)
    look_inside: bool  # /explain shows its layers, where its card lists them

    def has(self, ability: Ability) -> bool:
        return bool(getattr(self, ability))


Ability = Literal["reject", "read_numbers", "learn_personally", "look_inside"]


NOTHING_MORE = Abilities(reject=False, read_numbers=False, learn_personally=False, look_inside=False)


@dataclass(frozen=True)
class Task:
    name: str
    title: str  # the page's switch
    noun: str  # what one answer is, in words: "digit", "piece of clothing"
    labels: tuple[str, ...]
    preprocess: Callable[[Image.Image], np.ndarray]  # an image to its (28, 28) input in [0, 1]
    input_meaning: str  # the model input, in words (OIP metadata)
    can: Abilities

    @property
    def outputs(self) -> int:
        return len(self.labels) + (len(NOT_A_DIGIT_LABELS) if self.can.reject else 0)

    def inputs(self, images: Iterable[Image.Image | np.ndarray]) -> np.ndarray:
        """(n, 28, 28) from PIL images or (h, w) uint8 arrays (light ink on black)."""
        return np.stack([self.preprocess(as_image(image)) for image in images])


DIGITS = Task(
    name="digits",
    title="Digits",
    noun="digit",
    labels=DIGIT_LABELS,
    preprocess=to_model_input,
    input_meaning="white ink on black in [0, 1], the digit centred by mass in a 20x20 box "
    "(app.core.preprocess.to_model_input)",
    can=Abilities(reject=True, read_numbers=True, learn_personally=True, look_inside=True),
)
FASHION = Task(
    name="fashion",
    title="Clothes",
    noun="piece of clothing",
    labels=FASHION_LABELS,
    preprocess=fashion_input,
    input_meaning="a light object on black in [0, 1], its longer side 28 px (app.core.preprocess.fashion_input)",
    can=NOTHING_MORE,
)
TASKS = {task.name: task for task in (DIGITS, FASHION)}


def task(name: str) -> Task:
    """The task a model card names; ValueError for one this version does not know."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(TASKS)}") from None
