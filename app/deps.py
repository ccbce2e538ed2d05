"""What the routes depend on, as FastAPI dependencies: the loaded models (the one
?model= names, or the digit model), the layers model /explain runs, the pool that
classifies off the event loop, and the settings (set up by app.main's lifespan, but
for the layers model, loaded on first use).

They are coroutines because they only look things up: FastAPI runs a plain `def`
dependency in a worker thread, which costs more than the lookup itself."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Annotated

from fastapi import Depends, Query, Request

from app.classifier import Classifier
from app.errors import ApiError
from app.explain import Explainer
from app.settings import DIGITS, Settings


async def loaded_models(request: Request) -> dict[str, Classifier]:
    """The models loaded, by name; those that failed to load are missing."""
    return request.app.state.models


def served(request: Request, name: str) -> Classifier:
    """The model called `name`: a 404 if the service does not serve it, a 503 if it is not loaded."""
    settings: Settings = request.app.state.settings
    if name not in settings.models:
        raise ApiError(404, f"no model {name!r}; this service serves {', '.join(settings.models)}", "unknown_model")
    model = request.app.state.models.get(name)
    if model is None:
        raise ApiError(503, f"model {name} not loaded", "model_not_loaded")
    return model


MODEL_QUERY = Query(None, description="which model reads the image: digits (default) or fashion (clothes); "
                    "the service's DIGITPAD_MODELS setting lists them", examples=["fashion"])


async def classifier(request: Request, model: str | None = MODEL_QUERY) -> Classifier:
    return served(request, model or request.app.state.settings.models[0])


async def digit_classifier(request: Request) -> Classifier:
    """The digit model, for what only it does (numbers, the look inside)."""
    return served(request, DIGITS)


async def explainer(request: Request, model: Annotated[Classifier, Depends(digit_classifier)]) -> Explainer:
    """The layers model: loaded at start-up, or on first use (~0.1 s, once) when the
    app was given its models."""
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


ModelsDep = Annotated[dict[str, Classifier], Depends(loaded_models)]
ClassifierDep = Annotated[Classifier, Depends(classifier)]
DigitClassifierDep = Annotated[Classifier, Depends(digit_classifier)]
ExecutorDep = Annotated[Executor, Depends(executor)]
ExplainerDep = Annotated[Explainer, Depends(explainer)]
SettingsDep = Annotated[Settings, Depends(settings)]
