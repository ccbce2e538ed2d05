"""Reading images: POST /predict (one digit, or a piece of clothing), /read (a number)
and /explain (the look inside)."""

from __future__ import annotations

import base64

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core.classifier import Classification, Classifier
from app.core.classifier import Reading as NumberReading
from app.core.errors import Code
from app.core.ink import Source
from app.web import bodies, metrics
from app.web.deps import (
    MODEL,
    PROFILE_SKIPPED,
    READING_PARAMETERS,
    InsideReaderDep,
    NumberReaderDep,
    Reader,
    ReaderDep,
    known_profile,
)
from app.web.problems import BODY_CODES, IMAGE_CODES, documented
from app.web.schemas import (
    ClassPrediction,
    DigitReading,
    Explanation,
    LayerActivations,
    Prediction,
    Problem,
    Reading,
)

router = APIRouter()
MODEL_CODES = (Code.UNKNOWN_MODEL, Code.MODEL_NOT_LOADED, Code.INVALID_REQUEST, Code.BAD_PROFILE)
DIGIT_MODEL_CODES = (*MODEL_CODES, Code.NOT_A_DIGIT_MODEL)


def _answer(result: Classification, include_input: bool) -> dict:
    """A digit's answer, in the vocabulary of app.web.schemas.DigitAnswer."""
    return {
        "label": result.label,
        "digit": result.digit,
        "confidence": result.confidence,
        "probabilities": result.probabilities,
        "is_digit": result.is_digit,
        "not_digit_score": result.not_digit_score,
        "sure": result.sure,
        "input": result.model_input.round(3).tolist() if include_input else None,
        "personal": result.personal,
        "nearest": result.nearest,
    }


def _prediction(
    classifier: Classifier, result: Classification, include_input: bool
) -> Prediction | ClassPrediction:
    if classifier.can.reject:
        return Prediction(
            **_answer(result, include_input), model=classifier.name, model_version=classifier.version
        )
    return ClassPrediction(
        label=result.label,
        index=result.index,
        confidence=result.confidence,
        probabilities=result.probabilities,
        labels=list(classifier.task.labels),
        input=result.model_input.round(3).tolist() if include_input else None,
        model=classifier.name,
        model_version=classifier.version,
    )


def _count(it: Reader, results: list[Classification]) -> None:
    if it.metrics:
        metrics.record_answers(it.classifier.name, it.classifier.version, results)


def _json(answer: Prediction | ClassPrediction | Reading | Explanation, skipped: bool = False) -> Response:
    # Already validated: serialised directly rather than checked again against response_model.
    headers = {PROFILE_SKIPPED: "the examples' database did not answer in time"} if skipped else None
    return Response(answer.model_dump_json(), media_type="application/json", headers=headers)


@router.post(
    "/predict",
    response_model=Prediction | ClassPrediction,
    responses=documented(Problem, *IMAGE_CODES, *BODY_CODES, *MODEL_CODES),
    openapi_extra={"requestBody": bodies.OPENAPI, "parameters": READING_PARAMETERS},
    summary="Read the digit in an image, or say it is not one; or, with ?model=fashion, the clothes",
)
async def predict(request: Request, it: ReaderDep) -> Response:
    source = await bodies.image_source(request, it.work)
    known, skipped = await known_profile(it.work, it.profiles, it.profile, it.classifier, it.profile_wait_s)
    result = await it.work.reading(lambda source: it.classifier.classify(source, known), source)
    _count(it, [result])
    return _json(_prediction(it.classifier, result, it.include_input), skipped)


@router.post(
    "/read",
    response_model=Reading,
    responses=documented(Problem, *IMAGE_CODES, Code.TOO_MANY_DIGITS, *BODY_CODES, *DIGIT_MODEL_CODES),
    openapi_extra={"requestBody": bodies.OPENAPI, "parameters": READING_PARAMETERS},
    summary="Read a number: every digit in an image, left to right, with a box for each",
)
async def read(request: Request, it: NumberReaderDep) -> Response:
    classifier, include_input = it.classifier, it.include_input
    source = await bodies.image_source(request, it.work)
    known, skipped = await known_profile(it.work, it.profiles, it.profile, classifier, it.profile_wait_s)

    def read(source: Source) -> NumberReading:
        return classifier.read(source, known)

    reading = await it.work.reading(read, source)
    _count(it, [result for _, result in reading.digits])
    return _json(
        Reading(
            number=reading.number,
            reason=reading.reason,
            sure=reading.sure,
            digits=[
                DigitReading(box=list(box), **_answer(result, include_input))
                for box, result in reading.digits
            ],
            model_version=classifier.version,
            model=classifier.name,
        ),
        skipped,
    )


def _rounded(values: np.ndarray, decimals: int) -> list:
    """Short JSON numbers: a float32 rounded still prints 17 digits."""
    return values.astype(float).round(decimals).tolist()


@router.post(
    "/explain",
    response_model=Explanation,
    responses=documented(
        Problem, *IMAGE_CODES, *BODY_CODES, *DIGIT_MODEL_CODES, Code.LAYERS_MODEL_NOT_LOADED
    ),
    openapi_extra={"requestBody": bodies.OPENAPI, "parameters": [MODEL.openapi()]},
    summary="Look inside: every layer's outputs for the image read as one digit, and which pixels mattered",
)
async def explain(request: Request, it: InsideReaderDep) -> Response:
    classifier, work = it.classifier, it.work
    # In the pool: the layers model may be loaded on first use (~0.1 s), and every layer's
    # images and the occlusion take ~20 ms whatever the image's size.
    explainer = await work.pooled(it.registry.explainer, classifier)
    result = await work.pooled(explainer.explain, await bodies.image_source(request, work))
    layers = [
        LayerActivations(
            **shown.layer.model_dump(),
            image="data:image/png;base64," + base64.b64encode(shown.png).decode(),
            columns=shown.columns,
            scale=shown.scale,
            signed=shown.signed,
            values=None if shown.values is None else _rounded(shown.values, 4),
        )
        for shown in result.layers
    ]
    return _json(
        Explanation(
            label=str(result.digit),
            digit=result.digit,
            confidence=float(result.digits[result.digit]),
            probabilities=result.digits.tolist(),
            is_digit=result.is_digit,
            not_digit_score=result.not_digit_score,
            sure=result.sure,
            input=_rounded(result.model_input, 3),
            layers=layers,
            attribution=_rounded(result.attribution, 3),
            attribution_scale=result.attribution_scale,
            model_version=explainer.version,
            model=classifier.name,
        )
    )
