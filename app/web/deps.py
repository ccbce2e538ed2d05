"""What the routes depend on, as FastAPI dependencies: the model registry and the model
?model= names in it, the layers model /explain runs, the pool that classifies off the
event loop, and the settings (all set up by app.web.main's lifespan).

They are coroutines because they only look things up: FastAPI runs a plain `def`
dependency in a worker thread, which costs more than the lookup itself."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Annotated

from fastapi import Depends, Query, Request

from app.core.classifier import Classifier
from app.core.explain import Explainer
from app.core.registry import Registry
from app.settings import Settings

MODEL_QUERY = Query(
    None,
    description="which model reads the image: digits (the default), fashion (clothes) or "
    "dense (the dense network); the service's DIGITPAD_MODELS setting lists them",
    examples=["fashion"],
)


async def registry(request: Request) -> Registry:
    return request.app.state.registry


async def classifier(request: Request, model: str | None = MODEL_QUERY) -> Classifier:
    return request.app.state.registry.get(model)


async def digit_classifier(request: Request, model: str | None = MODEL_QUERY) -> Classifier:
    """A model that tells digits from the rest, for what only such a model does (numbers, the look inside)."""
    return request.app.state.registry.digit_model(model)


async def explainer(request: Request, model: Annotated[Classifier, Depends(digit_classifier)]) -> Explainer:
    return request.app.state.registry.explainer(model)


async def executor(request: Request) -> Executor:
    return request.app.state.executor


async def settings(request: Request) -> Settings:
    return request.app.state.settings


RegistryDep = Annotated[Registry, Depends(registry)]
ClassifierDep = Annotated[Classifier, Depends(classifier)]
DigitClassifierDep = Annotated[Classifier, Depends(digit_classifier)]
ExecutorDep = Annotated[Executor, Depends(executor)]
ExplainerDep = Annotated[Explainer, Depends(explainer)]
SettingsDep = Annotated[Settings, Depends(settings)]
