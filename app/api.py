"""The JSON API: POST /predict, /read and /explain, GET /health, /ready and /model."""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app import metrics
from app.classifier import Classification, Classifier
from app.deps import ClassifierDep, DigitClassifierDep, ExecutorDep, ExplainerDep, ModelsDep, SettingsDep
from app.errors import ApiError, ImageError
from app.schemas import (
    ClassPrediction,
    DigitReading,
    Explanation,
    Health,
    LayerActivations,
    ModelInfo,
    Prediction,
    PredictRequest,
    Problem,
    Readiness,
    Reading,
)
from app.settings import Settings

router = APIRouter()
T = TypeVar("T")

DATA_URL = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(;[\w=.+-]+)*?;base64,", re.IGNORECASE)
IMAGE_BODY = {"schema": {"type": "string", "format": "binary"}}
PREDICT_BODY = {
    "required": True,
    "description": "The image, any of three ways: a multipart upload in the field `file`, the raw "
    "bytes with an image/* content type, or JSON with a data URL or base64 string.",
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["file"],
                       "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        "image/png": IMAGE_BODY,
        "image/jpeg": IMAGE_BODY,
        "image/webp": IMAGE_BODY,
        "application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}},
    },
}
ERRORS = {
    status: {"model": Problem, "description": description}
    for status, description in {
        400: "Undecodable, corrupt or empty image",
        408: "Body not received in time",
        413: "Body or image over the size limits (pixels, or bytes once decoded)",
        415: "Not a supported content or image type",
        422: "Missing field, bad JSON or base64, animated, too small, no ink found, or too many digits",
        503: "Model not loaded, or too many large images at once",
    }.items()
}
UNKNOWN_MODEL = {404: {"model": Problem, "description": "No such model (?model=; DIGITPAD_MODELS lists them)"}}


def _decode_base64(text: str) -> bytes:
    match = DATA_URL.match(text)
    if match and match["type"] and not match["type"].lower().startswith("image/"):
        raise ApiError(415, f"data URL of type {match['type']} is not an image", "unsupported_media_type")
    payload = text[match.end():] if match else text
    try:
        return base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(422, "field 'image' is not valid base64 or a base64 data URL", "bad_base64") from exc


async def _image_bytes(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=10) as form:  # closes the upload's spool file
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ApiError(422, "multipart body has no file in the field 'file'", "missing_file")
            return await upload.read()
    if content_type == "application/json":
        try:
            body = PredictRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise ApiError(422, "JSON body must be {\"image\": \"<data URL or base64>\"}", "bad_json") from exc
        return _decode_base64(body.image)
    if content_type.startswith("image/"):
        return await request.body()
    raise ApiError(
        415, "send the image as multipart/form-data (field 'file'), image/* bytes, or application/json",
        "unsupported_media_type",
    )


async def _in_pool(executor: Executor, work: Callable[[bytes], T], data: bytes) -> T:
    """CPU-bound work off the event loop; image problems become their 4xx."""
    try:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, work, data)
    except ImageError as exc:
        raise ApiError.of(exc) from exc


def _answer(result: Classification, include_input: bool) -> dict:
    """A digit's answer, in the vocabulary of app.schemas.DigitAnswer."""
    return {
        "label": result.label,
        "digit": result.digit,
        "confidence": result.confidence,
        "probabilities": result.probabilities,
        "is_digit": result.is_digit,
        "not_digit_score": result.not_digit_score,
        "input": result.model_input.round(3).tolist() if include_input else None,
    }


def _prediction(classifier: Classifier, result: Classification, include_input: bool) -> Prediction | ClassPrediction:
    if classifier.reads_digits:
        return Prediction(**_answer(result, include_input), model=classifier.name, model_version=classifier.version)
    return ClassPrediction(
        label=result.label, index=result.index, confidence=result.confidence, probabilities=result.probabilities,
        labels=classifier.card.labels, input=result.model_input.round(3).tolist() if include_input else None,
        model=classifier.name, model_version=classifier.version,
    )


def _count(settings: Settings, classifier: Classifier, results: list[Classification]) -> None:
    if settings.metrics:
        metrics.record_answers(classifier.name, classifier.version, results)


INCLUDE_INPUT = Query(False, description="also return the 28x28 image the model saw")


@router.post("/predict", response_model=Prediction | ClassPrediction, responses={**ERRORS, **UNKNOWN_MODEL},
             openapi_extra={"requestBody": PREDICT_BODY},
             summary="Read the digit in an image, or say it is not one; or, with ?model=fashion, the clothes")
async def predict(request: Request, classifier: ClassifierDep, executor: ExecutorDep, settings: SettingsDep,
                  include_input: bool = INCLUDE_INPUT) -> Response:
    result = await _in_pool(executor, classifier.classify, await _image_bytes(request))
    _count(settings, classifier, [result])
    prediction = _prediction(classifier, result, include_input)
    # Already validated: serialised directly rather than checked again against response_model.
    return Response(prediction.model_dump_json(), media_type="application/json")


@router.post("/read", response_model=Reading, responses=ERRORS, openapi_extra={"requestBody": PREDICT_BODY},
             summary="Read a number: every digit in an image, left to right, with a box for each")
async def read(request: Request, classifier: DigitClassifierDep, executor: ExecutorDep, settings: SettingsDep,
               include_input: bool = INCLUDE_INPUT) -> Response:
    reading = await _in_pool(executor, classifier.read, await _image_bytes(request))
    _count(settings, classifier, [result for _, result in reading.digits])
    answer = Reading(
        number=reading.number,
        reason=reading.reason,
        digits=[DigitReading(box=list(box), **_answer(result, include_input)) for box, result in reading.digits],
        model_version=classifier.version,
    )
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get("/health", response_model=Health, summary="Liveness: the process answers")
async def health() -> Health:
    return Health()


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}},
            summary="Readiness: every model is loaded and warmed up")
async def ready(models: ModelsDep, settings: SettingsDep):
    versions = {name: models[name].version if name in models else None for name in settings.models}
    readiness = Readiness(
        ready=None not in versions.values(),
        backend=settings.backend,
        model_version=versions[settings.models[0]],
        models=versions,
    )
    if not readiness.ready:
        return JSONResponse(readiness.model_dump(), status_code=503)
    return readiness


@router.get("/model", response_model=ModelInfo, responses={**UNKNOWN_MODEL, 503: {"model": Problem}},
            summary="A model's card (?model=): version, accuracy, labels, not-a-digit threshold, training data")
async def model_info(classifier: ClassifierDep) -> ModelInfo:
    return ModelInfo(**classifier.card.model_dump(), backend=classifier.backend)


@router.get("/metrics", response_class=PlainTextResponse, responses={404: {"model": Problem}},
            summary="Prometheus metrics: requests, latency, answers by digit, model version")
async def metrics_exposition(settings: SettingsDep) -> Response:
    if not settings.metrics:
        raise ApiError(404, "metrics are off (DIGITPAD_METRICS=false)", "metrics_disabled")
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)


def _rounded(values: np.ndarray, decimals: int) -> list:
    """Short JSON numbers: a float32 rounded still prints 17 digits."""
    return values.astype(float).round(decimals).tolist()


@router.post("/explain", response_model=Explanation, responses=ERRORS, openapi_extra={"requestBody": PREDICT_BODY},
             summary="Look inside: every layer's outputs for the image read as one digit, and which pixels mattered")
async def explain(request: Request, explainer: ExplainerDep, executor: ExecutorDep) -> Response:
    result = await _in_pool(executor, explainer.explain, await _image_bytes(request))
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
    answer = Explanation(
        label=str(result.digit),
        digit=result.digit,
        confidence=float(result.digits[result.digit]),
        probabilities=result.digits.tolist(),
        is_digit=result.is_digit,
        not_digit_score=result.not_digit_score,
        input=_rounded(result.model_input, 3),
        layers=layers,
        attribution=_rounded(result.attribution, 3),
        attribution_scale=result.attribution_scale,
        model_version=explainer.version,
    )
    return Response(answer.model_dump_json(), media_type="application/json")
