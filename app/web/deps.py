"""What the routes depend on, as FastAPI dependencies: the model registry and the model
?model= names in it, where CPU-bound work runs (app.web.work), the settings, the examples'
store and the profile a request names (all set up by app.web.main).

They are coroutines because they only look things up: FastAPI runs a plain `def`
dependency in a worker thread, which costs more than the lookup itself."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

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
WorkDep = Annotated[Work, Depends(work)]
SettingsDep = Annotated[Settings, Depends(settings)]
ExamplesDep = Annotated[Examples, Depends(examples)]
ProfilesDep = Annotated[Profiles, Depends(profiles)]
ProfileDep = Annotated[str | None, Depends(profile)]
RequiredProfileDep = Annotated[str, Depends(required_profile)]


@dataclass(frozen=True)
class Parameter:
    """An input of the reading routes beside the image: parsed by `reading` and documented
    in OpenAPI from this one declaration."""

    name: str
    where: Literal["query", "header"]
    schema: dict[str, object]
    description: str
    example: str | None = None

    def raw(self, request: Request) -> str | None:
        return (request.query_params if self.where == "query" else request.headers).get(self.name)

    def openapi(self) -> dict[str, object]:
        title = self.name if self.where == "header" else self.name.replace("_", " ").title()
        declared = {"name": self.name, "in": self.where, "required": False}
        shown = {"schema": {**self.schema, "title": title}, "description": self.description}
        return {**declared, **shown, **({"example": self.example} if self.example else {})}


BOOLEAN = TypeAdapter(bool)
OPTIONAL_STRING: dict[str, object] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
MODEL = Parameter("model", "query", OPTIONAL_STRING, MODEL_QUERY.description or "", "fashion")
INCLUDE_INPUT = Parameter(
    "include_input",
    "query",
    {"type": "boolean", "default": False},
    "also return the 28x28 image the model saw",
)
PROFILE = Parameter(
    "Digitpad-Profile", "header", OPTIONAL_STRING, PROFILE_HEADER.description or "", "k3TqZ9vX0bYw5mR2hL8aFg"
)
READING_PARAMETERS = [parameter.openapi() for parameter in (MODEL, INCLUDE_INPUT, PROFILE)]


@dataclass(frozen=True)
class Reader:
    """Everything a reading route needs beside the image."""

    classifier: Classifier
    profile: str | None
    include_input: bool
    registry: Registry
    work: Work
    profiles: Profiles
    metrics: bool
    profile_wait_s: float


def reading(ability: Ability | None = None) -> Callable[[Request], Awaitable[Reader]]:
    """The reading routes' one dependency: it takes only the request, as resolving one
    FastAPI dependency per input cost a reading 0.4 ms of CPU, a fifth of reading the page's
    drawing (docs/benchmarks.md). The model must have `ability`; refusals as the others'."""

    async def reader(request: Request) -> Reader:
        flag = INCLUDE_INPUT.raw(request)
        try:
            include_input = False if flag is None else BOOLEAN.validate_python(flag)
        except ValidationError as exc:
            raise Refusal(Code.INVALID_REQUEST, f"query.include_input: {exc.errors()[0]['msg']}") from exc
        state = request.app.state
        registry: Registry = state.registry
        model = MODEL.raw(request)
        return Reader(
            registry.get(model) if ability is None else registry.able(ability, model),
            _checked_profile(PROFILE.raw(request)),
            include_input,
            registry,
            state.work,
            state.profiles,
            state.settings.metrics,
            state.settings.profile_wait_s,
        )

    return reader


ReaderDep = Annotated[Reader, Depends(reading())]
NumberReaderDep = Annotated[Reader, Depends(reading("read_numbers"))]
InsideReaderDep = Annotated[Reader, Depends(reading("look_inside"))]


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
