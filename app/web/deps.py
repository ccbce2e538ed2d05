"""What the routes depend on, as FastAPI dependencies: the model registry and the model
?model= names in it, where CPU-bound work runs (app.web.work), the settings, the examples'
store and the profile a request names (all set up by app.web.main).

They are coroutines because they only look things up: FastAPI runs a plain `def`
dependency in a worker thread, which costs more than the lookup itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from pydantic import TypeAdapter, ValidationError

from app.core.classifier import Classifier
from app.core.errors import Code, Refusal
from app.core.personal import Profile
from app.core.tasks import Ability
from app.serving.profiles import Profiles
from app.serving.registry import Registry
from app.settings import Settings
from app.store.examples import Examples
from app.web.work import Late, Work

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


async def personal_classifier(request: Request, model: str | None = MODEL_QUERY) -> Classifier:
    """A model that learns from a person's examples."""
    return request.app.state.registry.able("learn_personally", model)


async def inside_classifier(request: Request, model: str | None = MODEL_QUERY) -> Classifier:
    """A model that can be looked inside."""
    return request.app.state.registry.able("look_inside", model)


async def work(request: Request) -> Work:
    return request.app.state.work


async def settings(request: Request) -> Settings:
    return request.app.state.settings


async def examples(request: Request) -> Examples:
    return request.app.state.examples


async def profiles(request: Request) -> Profiles:
    return request.app.state.profiles


PROFILE_SKIPPED = "Digitpad-Profile-Skipped"  # a response header: the profile's examples were left out
PROFILE_ID = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
PROFILE_HEADER = Header(
    None,
    alias="Digitpad-Profile",
    description="a person's profile: a random id of 16-128 letters, digits, - and _ that the page keeps; "
    "reading applies its examples, and /examples keeps them. Examples the database does not give within "
    "DIGITPAD_PROFILE_WAIT_S (0.2 s) are left out: the answer is not personal and has the header "
    f"{PROFILE_SKIPPED}",
    examples=["k3TqZ9vX0bYw5mR2hL8aFg"],
)


def _checked_profile(named: str | None) -> str | None:
    if named is not None and not PROFILE_ID.match(named):
        raise Refusal(Code.BAD_PROFILE, "the Digitpad-Profile header must be 16-128 letters, digits, - and _")
    return named


async def profile(digitpad_profile: str | None = PROFILE_HEADER) -> str | None:
    """The profile the request names, if any."""
    return _checked_profile(digitpad_profile)


async def required_profile(named: Annotated[str | None, Depends(profile)]) -> str:
    if named is None:
        raise Refusal(Code.BAD_PROFILE, "name your profile in the Digitpad-Profile header")
    return named


RegistryDep = Annotated[Registry, Depends(registry)]
ClassifierDep = Annotated[Classifier, Depends(classifier)]
PersonalClassifierDep = Annotated[Classifier, Depends(personal_classifier)]
InsideClassifierDep = Annotated[Classifier, Depends(inside_classifier)]
WorkDep = Annotated[Work, Depends(work)]
SettingsDep = Annotated[Settings, Depends(settings)]
ExamplesDep = Annotated[Examples, Depends(examples)]
ProfilesDep = Annotated[Profiles, Depends(profiles)]
ProfileDep = Annotated[str | None, Depends(profile)]
RequiredProfileDep = Annotated[str, Depends(required_profile)]


# The reading routes (/predict, /read) take what they need from the request themselves:
# FastAPI's dependency resolution cost them 0.4 ms of CPU a request, a fifth of reading the
# page's drawing (docs/benchmarks.md). Same names, rules and errors; documented here.
INCLUDE_INPUT_DESCRIPTION = "also return the 28x28 image the model saw"
READING_PARAMETERS = [
    {
        "name": "model",
        "in": "query",
        "required": False,
        "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Model"},
        "description": MODEL_QUERY.description,
        "example": "fashion",
    },
    {
        "name": "include_input",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False, "title": "Include Input"},
        "description": INCLUDE_INPUT_DESCRIPTION,
    },
    {
        "name": "Digitpad-Profile",
        "in": "header",
        "required": False,
        "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Digitpad-Profile"},
        "description": PROFILE_HEADER.description,
        "example": "k3TqZ9vX0bYw5mR2hL8aFg",
    },
]
BOOLEAN = TypeAdapter(bool)


@dataclass(frozen=True)
class Reader:
    """Everything a reading route needs beside the image."""

    classifier: Classifier
    profile: str | None
    include_input: bool
    work: Work
    profiles: Profiles
    metrics: bool
    profile_wait_s: float


def reader(request: Request, ability: Ability | None = None) -> Reader:
    """What READING_PARAMETERS name, checked; raises Refusal as the dependencies above do."""
    query = request.query_params
    flag = query.get("include_input")
    try:
        include_input = False if flag is None else BOOLEAN.validate_python(flag)
    except ValidationError as exc:
        raise Refusal(Code.INVALID_REQUEST, f"query.include_input: {exc.errors()[0]['msg']}") from exc
    state = request.app.state
    registry: Registry = state.registry
    model = query.get("model")
    return Reader(
        registry.get(model) if ability is None else registry.able(ability, model),
        _checked_profile(request.headers.get("digitpad-profile")),
        include_input,
        state.work,
        state.profiles,
        state.settings.metrics,
        state.settings.profile_wait_s,
    )


async def known_profile(
    work: Work, profiles: Profiles, profile: str | None, model: Classifier, wait_s: float
) -> tuple[Profile | None, bool]:
    """The profile's examples for `model` (None: no profile, or none to use), and whether
    they were left out because the database took longer than `wait_s`: a reading never
    waits long for what only refines it."""
    if profile is None:
        return None, False
    try:
        return await work.within(wait_s, profiles.get, profile, model), False
    except Late:
        return None, True
