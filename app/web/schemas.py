"""The API's request and response bodies, as documented in /docs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.card import Layer, ModelCard
from app.core.errors import Code
from app.core.ink import MAX_STROKE_POINTS, MAX_STROKES

Stroke = Annotated[list[tuple[float, float]], Field(max_length=MAX_STROKE_POINTS)]


class InkBody(BaseModel):
    """A drawing as strokes, as the page records them: drawn on the service's side as the page
    draws them (quadratic curves through the midpoints, a round pen), dark on white."""

    # Numbers only: "12" and true are a client's mistake, not coordinates.
    model_config = ConfigDict(strict=True)

    width: float = Field(gt=0, description="the canvas's width, in the points' units", examples=[280])
    height: float = Field(gt=0, description="the canvas's height", examples=[280])
    pen: float = Field(gt=0, description="the pen's width", examples=[20])
    strokes: list[Stroke] = Field(
        max_length=MAX_STROKES,
        description=f"each stroke a list of [x, y] points from the top left: at most {MAX_STROKES} "
        f"strokes of {MAX_STROKE_POINTS} points",
        examples=[[[[140, 40], [140, 240]]]],
    )


class PredictRequest(BaseModel):
    image: str | None = Field(
        None,
        description="the image as a data URL (what canvas.toDataURL() gives) or plain base64",
        examples=["data:image/png;base64,iVBORw0KGgo..."],
    )
    ink: InkBody | None = Field(None, description="or the drawing's strokes (what the page sends)")

    @model_validator(mode="after")
    def one_of_them(self) -> PredictRequest:
        if (self.image is None) == (self.ink is None):
            raise ValueError("send one of image and ink")
        return self


class DigitAnswer(BaseModel):
    """What the model says about one digit: the vocabulary /predict, /read and /explain share."""

    label: str = Field(
        description='the answer\'s name: for digits, the digit ("7"), the best guess when is_digit is false',
        examples=["7"],
    )
    digit: int = Field(
        ge=0, le=9, description="the most probable digit (the best guess when is_digit is false)"
    )
    confidence: float = Field(
        ge=0, le=1, description="the probability of that digit, given that it is a digit"
    )
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
    sure: bool = Field(
        description="whether the answer is one to state plainly: the digit (or, when is_digit is false, "
        "the not-a-digit score) has at least the model card's not_a_digit.sure probability. When false, "
        'say so: "Looks like a 6, but I\'m not sure"'
    )
    input: list[list[float]] | None = Field(
        None, description="the 28x28 image the model saw (0 paper, 1 ink), when include_input=true"
    )
    personal: bool = Field(
        False,
        description="whether the examples of the profile in the Digitpad-Profile header took part in the answer",
    )
    nearest: list[int] | None = Field(
        None, description="with personal: the ids of the profile's examples most like it, most alike first"
    )


class Prediction(DigitAnswer):
    model: str = Field(description="the model that read it (?model=)", examples=["digits"])
    model_version: str


class ClassPrediction(BaseModel):
    """What a model of other things than digits (?model=fashion) says about the image."""

    label: str = Field(description="the most probable class, by name", examples=["Sneaker"])
    index: int = Field(ge=0, description="its position in the model card's labels")
    confidence: float = Field(ge=0, le=1, description="its probability")
    probabilities: list[float] = Field(description="of each class, in the order of the model card's labels")
    labels: list[str] = Field(description="the classes' names, as in the model card")
    input: list[list[float]] | None = Field(
        None,
        description="the 28x28 image the model saw (0 background, 1 the object), when include_input=true",
    )
    model: str = Field(examples=["fashion"])
    model_version: str


class DigitReading(DigitAnswer):
    box: list[int] = Field(
        min_length=4, max_length=4, description="x, y, width, height in the input image's pixels"
    )


class Reading(BaseModel):
    number: str | None = Field(
        description="the digits left to right, or null when the drawing is not a number: as a whole it "
        "is not a digit nor several, its parts are not laid out like a number's digits, or some part "
        "is not a digit",
        examples=["2026"],
    )
    reason: str | None = Field(None, description="why number is null")
    sure: bool = Field(
        description="whether the answer is one to state plainly: every digit of the number is sure, or, "
        "when number is null, that it is not a number is"
    )
    digits: list[DigitReading] = Field(description="each digit found, left to right")
    model_version: str
    model: str = Field(description="the model that read it (?model=)", examples=["digits"])


class StoredExample(BaseModel):
    """A drawing a person labelled, as the store keeps it."""

    id: int
    label: str = Field(description='what the person said it is: a digit, or "not a digit"', examples=["7"])
    kind: str = Field(description="example (taught in teach mode) or correction (a reading corrected)")
    answer: str = Field(description='what the model said when it was stored: a digit, or "not a digit"')
    model: str
    model_version: str
    created: datetime
    image: str = Field(
        description="the 28x28 image the model read, as a PNG data URL (white ink on black, as the model sees it)"
    )


class ExampleList(BaseModel):
    examples: list[StoredExample] = Field(description="the profile's examples, oldest first")
    counts: dict[str, int] = Field(description="how many of each label", examples=[{"7": 3}])


class Forgotten(BaseModel):
    deleted: int = Field(description="how many examples were deleted")


class Problem(BaseModel):
    """Every error the API answers, 4xx and 5xx alike."""

    detail: str = Field(description="what went wrong, in words")
    code: Code = Field(
        description="stable and machine-readable: clients may branch on it", examples=["no_ink"]
    )


class Health(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    ready: bool = Field(description="every model the service serves is loaded and warmed up")
    backend: str
    model_version: str | None = Field(description="the default model's version")
    models: dict[str, str | None] = Field(
        description="each model served, by name: its version, or null if it did not load"
    )


class Abilities(BaseModel):
    """What the model can do beyond telling its classes apart (app.core.tasks.Abilities):
    clients branch on these, never on a task's name."""

    reject: bool = Field(
        description='answers "not a digit" and "several digits" for what is none of its labels'
    )
    read_numbers: bool = Field(description="/read cuts a drawing into its digits and reads the number")
    learn_personally: bool = Field(description="a person's examples (/examples) adjust its answers")
    look_inside: bool = Field(description="/explain shows what its layers do with a drawing")


class ModelInfo(ModelCard):
    """The served model's card (models/<name>/model_card.json), and how the service runs it."""

    backend: str
    can: Abilities
    outputs: list[str] = Field(
        description="the name of each of the network's outputs, in order: the labels, then "
        'for a digit model "not a digit" and "several digits"'
    )


class LayerActivations(Layer):
    """One layer's outputs for the image, as a small grey picture."""

    image: str = Field(
        description="data URL of an 8-bit grey PNG: a layer of feature maps (height, width, channels) as its "
        "channels side by side, `columns` to a row, channel 0 top left; a layer of units as one row of 1 px cells"
    )
    columns: int = Field(description="channels (or units) per row of the image")
    scale: float = Field(
        description="the activation shown as white. One scale per layer, its largest |activation|, so the "
        "channels of a layer compare with one another"
    )
    signed: bool = Field(
        description="true when the layer has negative values: mid-grey is 0 and black is -scale "
        "(otherwise black is 0)"
    )
    values: list[float] | None = Field(None, description="the activations themselves, for layers of units")


class Explanation(DigitAnswer):
    """What the network does with the image, layer by layer, and which pixels mattered."""

    input: list[list[float]] = Field(description="the 28x28 image the model saw (0 paper, 1 ink)")
    layers: list[LayerActivations] = Field(
        description="every layer from input to output, as in the model card"
    )
    attribution: list[list[float]] = Field(
        description="28x28 in [-1, 1]: how much hiding the ink around each pixel (occlusion, a 4 px patch every "
        "3 px) lowers the winning digit's log-odds; positive pushed towards `digit`, negative against"
    )
    attribution_scale: float = Field(
        description="the change of the winning digit's log-odds that 1 stands for"
    )
    model_version: str
    model: str = Field(description="the model looked inside (?model=)", examples=["digits"])
