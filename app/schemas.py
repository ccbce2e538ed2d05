"""The API's request and response bodies, as documented in /docs."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PredictRequest(BaseModel):
    image: str = Field(
        description="the image as a data URL (what canvas.toDataURL() gives) or plain base64",
        examples=["data:image/png;base64,iVBORw0KGgo..."],
    )


class DigitAnswer(BaseModel):
    """What the model says about one digit: the vocabulary /predict and /read share."""

    digit: int = Field(ge=0, le=9, description="the most probable digit (the best guess when is_digit is false)")
    confidence: float = Field(ge=0, le=1, description="the probability of that digit, given that it is a digit")
    probabilities: list[float] = Field(
        min_length=10, max_length=10, description="P(0) ... P(9) given that it is a digit, summing to 1"
    )
    is_digit: bool = Field(
        description="false when the image does not look like a digit (a letter, a doodle, a number of "
        "several digits): not_digit_score is at least the model card's threshold"
    )
    not_digit_score: float = Field(
        ge=0, le=1, description="the model's probability that the image is not a digit (the 11th class)"
    )
    input: list[list[float]] | None = Field(
        None, description="the 28x28 image the model saw (0 paper, 1 ink), when include_input=true"
    )


class Prediction(DigitAnswer):
    model_version: str


class DigitReading(DigitAnswer):
    box: list[int] = Field(min_length=4, max_length=4, description="x, y, width, height in the input image's pixels")


class Reading(BaseModel):
    number: str | None = Field(description="the digits left to right, or null when some part is not a digit",
                               examples=["2026"])
    reason: str | None = Field(None, description="why number is null")
    digits: list[DigitReading] = Field(description="each digit found, left to right")
    model_version: str


class Problem(BaseModel):
    detail: str


class Health(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    ready: bool
    backend: str
    model_version: str | None


class Accuracy(BaseModel):
    """Share of digits read right; a digit rejected as "not a digit" counts as wrong."""

    mnist_test: float | None = Field(description="official MNIST test set (10,000 images)")
    usps: float | None = Field(description="USPS test set, never trained on")
    semeion: float | None = Field(description="Semeion, never trained on")


class NotADigit(BaseModel):
    threshold: float = Field(description="is_digit is false where not_digit_score is at least this")
    threshold_choice: str
    false_rejection: dict[str, float | None] = Field(description="share of each digit set rejected")
    heldout_rejected: dict[str, float] = Field(
        description="share rejected of each kind of non-digit held out of training (fonts, doodles, clothes, numbers)"
    )


class ModelInfo(BaseModel):
    name: str
    version: str
    backend: str
    architecture: str
    parameters: int
    input_shape: list[int]
    accuracy: Accuracy
    not_a_digit: NotADigit
    created: str
    training: dict
    data: dict
    versions: dict[str, str]
