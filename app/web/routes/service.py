"""The service itself: GET /health, /ready, /model and /metrics."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from app.core.errors import Code, Refusal
from app.core.tasks import NOT_A_DIGIT_LABELS
from app.web import metrics
from app.web.deps import ClassifierDep, RegistryDep, SettingsDep
from app.web.problems import documented
from app.web.schemas import Health, ModelInfo, Problem, Readiness

router = APIRouter()


@router.get("/health", response_model=Health, summary="Liveness: the process answers")
async def health() -> Health:
    return Health()


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness}},
    summary="Readiness: every model is loaded and warmed up",
)
async def ready(registry: RegistryDep, settings: SettingsDep) -> Response:
    versions = registry.versions()
    readiness = Readiness(
        ready=registry.ready,
        backend=settings.backend,
        model_version=versions[registry.names[0]],
        models=versions,
    )
    return JSONResponse(readiness.model_dump(), status_code=200 if readiness.ready else 503)


@router.get(
    "/model",
    response_model=ModelInfo,
    responses=documented(Problem, Code.UNKNOWN_MODEL, Code.MODEL_NOT_LOADED, Code.INVALID_REQUEST),
    summary="A model's card (?model=): version, accuracy, labels, not-a-digit threshold, training data",
)
async def model_info(classifier: ClassifierDep) -> ModelInfo:
    outputs = [*classifier.task.labels, *(NOT_A_DIGIT_LABELS if classifier.task.rejects else ())]
    # The machine it was trained on is nobody's business: its folders and library versions stay in the file.
    card = classifier.card.model_dump() | {"versions": {}}
    card["data"] = _without_folders(card["data"])
    return ModelInfo(**card, backend=classifier.backend, outputs=outputs)


def _without_folders(data: Any) -> Any:
    """The card's data provenance with each source folder reduced to its last name."""
    if isinstance(data, dict):
        return {
            key: PurePath(value).name
            if key == "source" and isinstance(value, str) and "/" in value
            else _without_folders(value)
            for key, value in data.items()
        }
    return data


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses=documented(Problem, Code.METRICS_DISABLED),
    summary="Prometheus metrics: requests, latency, answers by digit, model version",
)
async def metrics_exposition(settings: SettingsDep) -> Response:
    if not settings.metrics:
        raise Refusal(Code.METRICS_DISABLED, "metrics are off (DIGITPAD_METRICS=false)")
    # Off the event loop: with many series a scrape takes long, and /health must not wait for it.
    return Response(await run_in_threadpool(metrics.exposition), media_type=metrics.CONTENT_TYPE)
