"""What the routes depend on, as FastAPI dependencies: the loaded model, the layers
model /explain runs, the pool that classifies off the event loop, and the settings
(set up by app.main's lifespan, but for the layers model, loaded on first use).

They are coroutines because they only look things up: FastAPI runs a plain `def`
dependency in a worker thread, which costs more than the lookup itself."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Annotated

from fastapi import Depends, Request

from app.classifier import Classifier
from app.errors import ApiError
from app.explain import Explainer
from app.settings import Settings


async def loaded_classifier(request: Request) -> Classifier | None:
    return request.app.state.classifier


async def classifier(model: Annotated[Classifier | None, Depends(loaded_classifier)]) -> Classifier:
    if model is None:
        raise ApiError(503, "model not loaded", "model_not_loaded")
    return model


async def explainer(request: Request, model: Annotated[Classifier, Depends(classifier)]) -> Explainer:
    """The layers model, loaded on first use (~0.1 s, once) beside the served one."""
    loaded = getattr(request.app.state, "explainer", None)
    if loaded is None or loaded.card is not model.card:
        settings = request.app.state.settings
        try:
            loaded = Explainer.load(settings.model_dir, model.card, model.max_pixels)
        except (OSError, ValueError) as exc:
            raise ApiError(503, f"layers model not loaded: {exc}", "layers_model_not_loaded") from exc
        request.app.state.explainer = loaded
    return loaded


async def executor(request: Request) -> Executor:
    return request.app.state.executor


async def settings(request: Request) -> Settings:
    return request.app.state.settings


MaybeClassifierDep = Annotated[Classifier | None, Depends(loaded_classifier)]
ClassifierDep = Annotated[Classifier, Depends(classifier)]
ExecutorDep = Annotated[Executor, Depends(executor)]
ExplainerDep = Annotated[Explainer, Depends(explainer)]
SettingsDep = Annotated[Settings, Depends(settings)]
