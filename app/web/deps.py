"""What the routes depend on, as FastAPI dependencies: the model registry and the model
?model= names in it, the layers model /explain runs, where CPU-bound work runs
(app.web.work), the settings, the examples' store and the profile a request names (all set
up by app.web.main).

They are coroutines because they only look things up: FastAPI runs a plain `def`
dependency in a worker thread, which costs more than the lookup itself."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from app.core.classifier import Classifier
from app.core.errors import Code, Refusal
from app.core.explain import Explainer
from app.core.registry import Registry
from app.settings import Settings
from app.store.examples import Examples
from app.store.profiles import Profiles
from app.web.work import Work

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


async def work(request: Request) -> Work:
    return request.app.state.work


async def settings(request: Request) -> Settings:
    return request.app.state.settings


async def examples(request: Request) -> Examples:
    return request.app.state.examples


async def profiles(request: Request) -> Profiles:
    return request.app.state.profiles


PROFILE_ID = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
PROFILE_HEADER = Header(
    None,
    alias="Digitpad-Profile",
    description="a person's profile: a random id of 16-128 letters, digits, - and _ that the page keeps; "
    "reading applies its examples, and /examples keeps them",
    examples=["k3TqZ9vX0bYw5mR2hL8aFg"],
)


async def profile(digitpad_profile: str | None = PROFILE_HEADER) -> str | None:
    """The profile the request names, if any."""
    if digitpad_profile is not None and not PROFILE_ID.match(digitpad_profile):
        raise Refusal(Code.BAD_PROFILE, "the Digitpad-Profile header must be 16-128 letters, digits, - and _")
    return digitpad_profile


async def required_profile(named: Annotated[str | None, Depends(profile)]) -> str:
    if named is None:
        raise Refusal(Code.BAD_PROFILE, "name your profile in the Digitpad-Profile header")
    return named


RegistryDep = Annotated[Registry, Depends(registry)]
ClassifierDep = Annotated[Classifier, Depends(classifier)]
DigitClassifierDep = Annotated[Classifier, Depends(digit_classifier)]
WorkDep = Annotated[Work, Depends(work)]
ExplainerDep = Annotated[Explainer, Depends(explainer)]
SettingsDep = Annotated[Settings, Depends(settings)]
ExamplesDep = Annotated[Examples, Depends(examples)]
ProfilesDep = Annotated[Profiles, Depends(profiles)]
ProfileDep = Annotated[str | None, Depends(profile)]
RequiredProfileDep = Annotated[str, Depends(required_profile)]
