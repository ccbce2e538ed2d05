"""The model card (models/<name>/model_card.json): what training writes beside the model and
the service reads, validated, when it loads it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class Tensor(BaseModel):
    shape: list[int]
    dtype: str = "float32"
    range: list[float] | None = None
    meaning: str


class DigitScores(BaseModel):
    images: int
    accuracy: float = Field(description="share read right; a digit rejected as not a digit counts as wrong")
    false_rejection: float = Field(description="share rejected as not a digit")
    per_class: list[float]
    confusion: list[list[int]] | None = Field(
        None, description="true digit x (digit read, then rejected); for MNIST's test set"
    )


class Rejection(BaseModel):
    images: int
    rejected: float = Field(description="share rejected at the card's threshold")
    auroc: float | None = Field(None, description="of the not-a-digit score, against MNIST's test digits")
    fpr_at_95_tpr: float | None = Field(
        None,
        description="share still taken for a digit at the threshold that accepts 95% of MNIST's test digits",
    )


class Metrics(BaseModel):
    threshold: float
    mnist_test: DigitScores
    usps: DigitScores | None
    semeion: DigitScores | None
    paper_mnist_test: DigitScores | None = Field(
        None, description="the same digits photographed or scanned on paper, in held-out settings"
    )
    paper_usps: DigitScores | None = None
    paper_semeion: DigitScores | None = None
    sure: dict[str, dict[str, float]] | None = Field(
        None,
        description="per held-out digit set: the share shown as not sure, and how often answers shown "
        "as sure are right",
    )
    negatives: dict[str, Rejection] = Field(description="held-out kinds of non-digit, never trained on")
    negatives_rejected_mean: float | None = None
    sweep: list[dict[str, float]] = Field(description="false rejection and rejection at other thresholds")


class ClassScores(BaseModel):
    images: int
    accuracy: float
    per_class: list[float] = Field(description="accuracy of each class, in the order of the card's labels")
    confusion: list[list[int]] = Field(description="true class x class read")


class ClassifierMetrics(BaseModel):
    """A plain classifier's figures: every image is one of the labels, nothing is rejected."""

    test: ClassScores = Field(
        description="the data set's official test images, through the served preprocessing"
    )
    test_accuracy_as_published: float = Field(
        description="accuracy on the same images as the data set has them"
    )


class NumberScores(BaseModel):
    numbers: int
    exact: float = Field(description="share read exactly, every digit in order")
    digits_right: float = Field(description="share of digits in place (the length less the edit distance)")


class NumberMetrics(BaseModel):
    """The strip reader's figures, on numbers composed from digits never trained on."""

    sets: dict[str, NumberScores] = Field(description="by held-out set: plain, touching, on paper")
    not_numbers: dict[str, float] = Field(
        description="by held-out set of non-digits (letters, doodles): the share read as no digits at all"
    )


DEFAULT_SURE = 0.9


class NotADigitCard(BaseModel):
    threshold: float
    score: str
    threshold_choice: str
    sure: float = Field(
        DEFAULT_SURE,
        description="an answer is sure when its probability is at least this: the digit's (of the twelve "
        "outputs), or the not-a-digit score; below it the page says it is not sure",
    )
    sure_choice: str = "the default: no calibration was recorded"
    training_sources: dict[str, list[str] | str]
    heldout_sources: list[str]


LayerKind = Literal["conv", "batch-norm", "relu", "pool", "flatten", "dense", "dropout", "softmax"]


class Layer(BaseModel):
    """One layer of the served network, in order from the input (what /explain shows)."""

    name: str = Field(description="the Keras layer's name, and the name of its output in the layers model")
    kind: LayerKind
    shape: list[int] = Field(description="its output for one image: height, width, channels; or units")
    parameters: int = Field(description="weights it learnt (batch norm: also its running mean and variance)")


class ModelCard(BaseModel):
    name: str = Field(description="the stem of its files: <name>.tflite, <name>_layers.tflite, <name>.keras")
    version: str
    created: str
    title: str | None = Field(
        None, description="what the network is, in a few words for the page: CNN, dense network"
    )
    architecture: str
    parameters: int
    input: Tensor
    output: Tensor
    task: str = Field(
        "digits",
        description="what the model reads (app.core.tasks): digits (MNIST) or fashion (Fashion-MNIST)",
    )
    labels: list[str] = Field(
        default_factory=lambda: [str(digit) for digit in range(10)],
        description="the names of the classes read, in output order",
    )
    not_a_digit: NotADigitCard | None = Field(None, description="digits only: how a non-digit is rejected")
    metrics: Metrics | ClassifierMetrics | NumberMetrics
    litert_max_abs_difference: float
    training: dict[str, float | int | bool | str]
    data: dict
    versions: dict[str, str]
    files: dict[str, str]
    layers: list[Layer] | None = Field(
        None, description="the network's layers from input to output (none in cards from before /explain)"
    )

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        return cls.model_validate_json(path.read_text())

    def write(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2) + "\n")
