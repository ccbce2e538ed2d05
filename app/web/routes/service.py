"""The service itself: GET /health, /ready, /model and /metrics."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from app.core.card import ModelCard
from app.core.errors import Code, Refusal
from app.core.tasks import NOT_A_DIGIT_LABELS
from app.web import metrics
from app.web.deps import ClassifierDep, RegistryDep, SettingsDep
from app.web.problems import documented
from app.web.schemas import Abilities, Health, ModelInfo, Problem, Readiness

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
    outputs = [*classifier.task.labels, *(NOT_A_DIGIT_LABELS if classifier.can.reject else ())]
    return ModelInfo(
        **shown_card(classifier.card),
        backend=classifier.backend,
        can=Abilities(**asdict(classifier.can)),
        outputs=outputs,
    )


# What a card may show of its training: the recipe, its hyperparameters and the counts. An
# allow-list: training writes what it likes (folders, the data's paths on the machine that
# trained it), and a key added there stays in the file until it is named here.
TRAINING_SHOWN = frozenset(
    {
        "recipe",
        "epochs",
        "epochs_max",
        "epochs_run",
        "batch_size",
        "learning_rate",
        "label_smoothing",
        "seed",
        "val_split",
        "patience",
        "augment",
        "no_augment",
        "negatives",
        "paper",
        "european_digits",
        "threshold",
        "quick",
        "seconds",
        "train_images",
        "validation_images",
        "train_digits",
        "train_drawn_digits",
        "train_non_digits",
        "train_on_paper",
    }
)


def shown_card(card: ModelCard) -> dict[str, Any]:
    """The card as GET /model serves it: every field the schema has, but of training only
    TRAINING_SHOWN, of the data only where it came from (by name) and its files, no library
    versions, and files by name."""
    shown = card.model_dump()
    shown["training"] = {key: value for key, value in card.training.items() if key in TRAINING_SHOWN}
    shown["data"] = _data_shown(card.data)
    shown["versions"] = {}  # the machine it was trained on is nobody's business
    shown["files"] = {PurePath(name).name: digest for name, digest in card.files.items()}
    return shown


def _data_shown(data: dict[str, Any]) -> dict[str, Any]:
    """A data provenance: its source's last name, its files' names, counts and digests, and
    the same of each data set it names (fashion_mnist); nothing else (held-out example ids)."""
    shown: dict[str, Any] = {}
    for key, value in data.items():
        if key == "source" and isinstance(value, str):
            shown[key] = PurePath(value).name
        elif key == "files" and isinstance(value, dict):
            shown[key] = {
                PurePath(name).name: {k: v for k, v in about.items() if k in ("count", "md5", "sha256")}
                for name, about in value.items()
                if isinstance(about, dict)
            }
        elif isinstance(value, dict) and ("source" in value or "files" in value):
            shown[key] = _data_shown(value)
    return shown


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
