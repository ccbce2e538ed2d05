"""What people teach: /examples stores a drawing with its label (taught, or a reading
corrected), lists a profile's examples, and forgets them. The next reading with the same
profile uses them (app.serving.profiles)."""

from __future__ import annotations

import base64
import re
from collections import Counter
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BeforeValidator

from app.core.classifier import Classification
from app.core.errors import Code, Refusal
from app.core.ink import Source
from app.core.tasks import DIGITS, NOT_A_DIGIT, NOT_A_DIGIT_LABELS
from app.store.examples import Stored
from app.web import bodies, metrics
from app.web.deps import (
    ExamplesDep,
    PersonalClassifierDep,
    ProfilesDep,
    RequiredProfileDep,
    SettingsDep,
    WorkDep,
    known_profile,
)
from app.web.problems import BODY_CODES, IMAGE_CODES, documented
from app.web.schemas import ExampleList, Forgotten, Problem, StoredExample

router = APIRouter(tags=["examples"])
Label = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "not a digit"]
LABELS = get_args(Label)
assert (*DIGITS.labels, NOT_A_DIGIT_LABELS[0]) == LABELS  # the ten digits and "not a digit"
STORE_CODES = (
    Code.BAD_PROFILE,
    Code.INVALID_REQUEST,
    Code.TOO_MANY_REQUESTS,
    Code.STORE_UNAVAILABLE,
)
LABEL_QUERY = Query(description='what the drawing is: a digit, or "not a digit"', examples=["7"])
KIND_QUERY = Query(
    "example", description="example: taught in teach mode; correction: a reading the person corrected"
)
PART_QUERY = Query(
    None,
    ge=0,
    description="for a number read by /read: which of its digits (from 0, left to right) the label is for; "
    "none: the whole drawing, as /predict reads it",
)


def _plain_decimal(value: object) -> object:
    # int() alone reads "1_0" as 10 and "+1" or "01" as 1: an id has one spelling only.
    if isinstance(value, str) and not re.fullmatch(r"[1-9][0-9]*", value):
        raise ValueError("an example's id is decimal digits, without a sign or a leading zero")
    return value


# A database's 64-bit integer: a larger id is a 422, not an overflow. The validator after
# Path: before it, FastAPI's OpenAPI shows ge and le rather than minimum and maximum.
ExampleId = Annotated[
    int,
    Path(ge=1, le=2**63 - 1, description="the example's id, as POST /examples and GET /examples give it"),
    BeforeValidator(_plain_decimal),
]


def _shown(example: Stored) -> StoredExample:
    return StoredExample(
        id=example.id,
        label=LABELS[example.label],
        kind=example.kind,
        answer=example.answer,
        model=example.model,
        model_version=example.model_version,
        created=example.created,
        image="data:image/png;base64," + base64.b64encode(example.image).decode(),
    )


def _answer(result: Classification) -> str:
    return result.label if result.is_digit else LABELS[NOT_A_DIGIT]


@router.post(
    "/examples",
    status_code=201,
    response_model=StoredExample,
    responses=documented(
        Problem,
        *IMAGE_CODES,
        *BODY_CODES,
        *STORE_CODES,
        Code.NO_SUCH_PART,
        Code.PROFILE_FULL,
        Code.STORE_FULL,
        Code.INSUFFICIENT_STORAGE,
        Code.UNKNOWN_MODEL,
        Code.MODEL_NOT_LOADED,
        Code.NOT_A_DIGIT_MODEL,
    ),
    openapi_extra={"requestBody": bodies.OPENAPI},
    summary="Teach it your handwriting: keep a drawing with what it is, for your profile's next readings",
)
async def store(
    request: Request,
    classifier: PersonalClassifierDep,
    examples: ExamplesDep,
    profiles: ProfilesDep,
    profile: RequiredProfileDep,
    work: WorkDep,
    settings: SettingsDep,
    label: Label = LABEL_QUERY,
    kind: Literal["example", "correction"] = KIND_QUERY,
    part: int | None = PART_QUERY,
) -> Response:
    source = await bodies.image_source(request, work)
    # Read as the person saw it read (with their examples), for the model's answer and the part.
    known, _ = await known_profile(work, profiles, profile, classifier, settings.profile_wait_s)

    def read(source: Source) -> Classification:
        if part is None:
            return classifier.classify(source, known)
        digits = classifier.read(source, known).digits
        if part >= len(digits):
            raise Refusal(Code.NO_SUCH_PART, f"there is no part {part}: the drawing reads as {len(digits)}")
        return digits[part][1]

    result = await work.pooled(read, source)
    stored = await work.stored(
        examples.add,
        profile,
        LABELS.index(label),
        kind,
        result.model_input,
        classifier.name,
        classifier.version,
        _answer(result),
    )
    if settings.metrics:
        metrics.record_example(kind, stored.answer, label)
    answer = _shown(stored)
    return Response(answer.model_dump_json(), status_code=201, media_type="application/json")


@router.get(
    "/examples",
    response_model=ExampleList,
    responses=documented(Problem, Code.BAD_PROFILE, Code.STORE_UNAVAILABLE),
    summary="Your profile's examples, oldest first, and how many of each label",
)
async def listed(examples: ExamplesDep, profile: RequiredProfileDep, work: WorkDep) -> ExampleList:
    kept = await work.stored(examples.kept, profile)
    return ExampleList(
        examples=[_shown(example) for example in kept],
        counts=dict(Counter(LABELS[example.label] for example in kept)),
    )


@router.delete(
    "/examples",
    response_model=Forgotten,
    responses=documented(Problem, Code.BAD_PROFILE, Code.STORE_UNAVAILABLE),
    summary="Forget my handwriting: delete every example of your profile",
)
async def forget(examples: ExamplesDep, profile: RequiredProfileDep, work: WorkDep) -> Forgotten:
    deleted = await work.stored(examples.forget, profile)
    return Forgotten(deleted=deleted)


@router.delete(
    "/examples/{example}",
    status_code=204,
    responses=documented(
        Problem, Code.BAD_PROFILE, Code.INVALID_REQUEST, Code.UNKNOWN_EXAMPLE, Code.STORE_UNAVAILABLE
    ),
    summary="Delete one example of your profile",
)
async def delete(
    examples: ExamplesDep,
    profile: RequiredProfileDep,
    work: WorkDep,
    example: ExampleId,
) -> Response:
    found = await work.stored(examples.delete, profile, example)
    if not found:
        raise Refusal(Code.UNKNOWN_EXAMPLE, f"your profile has no example {example}")
    return Response(status_code=204)
