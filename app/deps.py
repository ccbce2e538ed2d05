"""What the routes depend on, as FastAPI dependencies: the loaded model, the pool
that classifies off the event loop, and the settings (set up by app.main's lifespan).

They are coroutines because they only look things up: FastAPI runs a plain `def`
dependency in a worker thread, which costs more than the lookup itself."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Annotated

from fastapi import Depends, Request

from app.classifier import Classifier
from app.errors import ApiError
from app.settings import Settings


async def loaded_classifier(request: Request) -> Classifier | None:
    return request.app.state.classifier


async def classifier(model: Annotated[Classifier | None, Depends(loaded_classifier)]) -> Classifier:
    if model is None:
        raise ApiError(503, "model not loaded", "model_not_loaded")
    return model


async def executor(request: Request) -> Executor:
    return request.app.state.executor


async def settings(request: Request) -> Settings:
    return request.app.state.settings


MaybeClassifierDep = Annotated[Classifier | None, Depends(loaded_classifier)]
ClassifierDep = Annotated[Classifier, Depends(classifier)]
ExecutorDep = Annotated[Executor, Depends(executor)]
SettingsDep = Annotated[Settings, Depends(settings)]
