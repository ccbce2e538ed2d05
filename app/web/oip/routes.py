"""The Open Inference Protocol's routes under /v2.

`POST /v2/models/{name}/infer` takes one input: `image`, FP32 [n, 28, 28, 1] model
inputs (in [0, 1], as the model's task makes them), or `image_bytes`, BYTES [n] encoded
images that go through the same decoding and preprocessing as /predict. Tensors come as
JSON or with the binary tensor data extension; outputs are the vocabulary of /predict,
one tensor each. Errors are the protocol's `{"error": ...}`, with the API's stable
`code` beside it (app.web.problems)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.core.classifier import Classifier
from app.core.errors import Code
from app.serving.registry import Registry
from app.web import metrics
from app.web.deps import RegistryDep, SettingsDep, WorkDep
from app.web.oip import codec
from app.web.oip.types import (
    ErrorBody,
    InferenceRequest,
    InferenceResponse,
    Live,
    ModelConfig,
    ModelMetadata,
    ModelReady,
    Ready,
    ServerMetadata,
)
from app.web.problems import IMAGE_CODES, documented
from app.web.work import Work

router = APIRouter(prefix="/v2", tags=["Open Inference Protocol v2"])
EXTENSIONS = ["binary_tensor_data", "model_configuration"]
MODEL_CODES = (
    Code.UNKNOWN_MODEL,
    Code.MODEL_NOT_LOADED,
    Code.STORE_UNAVAILABLE,
)  # the last: fetching a version
INFER_CODES = (
    *MODEL_CODES,
    *IMAGE_CODES,
    Code.BAD_REQUEST,
    Code.BAD_INPUT_NAME,
    Code.BAD_OUTPUT_NAME,
    Code.BAD_DATATYPE,
    Code.BAD_SHAPE,
    Code.BAD_DATA,
    Code.BAD_BINARY_DATA,
    Code.BAD_BASE64,
    Code.BATCH_TOO_LARGE,
    Code.UNSUPPORTED_CONTENT_ENCODING,
)
INFER_BODY = {
    "required": True,
    "description": "An inference request as JSON, or its JSON followed by the binary tensor data, with the "
    "JSON's length in the Inference-Header-Content-Length header (the binary tensor data extension).",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/InferenceRequest"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
}
# The request body the infer route reads itself, for app.web.main to document.
BODY_SCHEMAS = (InferenceRequest,)


async def _model(registry: Registry, work: Work, name: str, version: str | None) -> Classifier:
    """The model `name`, of `version` if given. A version other than the one serving may be
    fetched from the database and loaded: never on the event loop, and not for longer than a
    request waits for the database."""
    model = registry.get(name)
    if version is None or version == model.version:
        return model
    return await work.stored(registry.get, name, version)


@router.get("/health/live", response_model=Live, summary="Liveness (OIP)")
async def live() -> Live:
    return Live(live=True)


@router.get(
    "/health/ready", response_model=Ready, responses={503: {"model": Ready}}, summary="Readiness (OIP)"
)
async def ready(registry: RegistryDep) -> Response:
    return JSONResponse(Ready(ready=registry.ready).model_dump(), status_code=200 if registry.ready else 503)


@router.get("", response_model=ServerMetadata, summary="Server metadata (OIP)")
async def server_metadata(request: Request) -> ServerMetadata:
    return ServerMetadata(name=request.app.title, version=request.app.version, extensions=EXTENSIONS)


@router.get(
    "/models/{name}",
    response_model=ModelMetadata,
    responses=documented(ErrorBody, *MODEL_CODES),
    summary="Model metadata (OIP)",
)
@router.get(
    "/models/{name}/versions/{version}",
    response_model=ModelMetadata,
    responses=documented(ErrorBody, *MODEL_CODES),
    summary="Model metadata, one version (OIP)",
)
async def model_metadata(
    name: str, registry: RegistryDep, work: WorkDep, version: str | None = None
) -> ModelMetadata:
    model = await _model(registry, work, name, version)
    return ModelMetadata(
        name=model.name,
        versions=[model.version],
        platform=model.backend,
        inputs=codec.input_metadata(model),
        outputs=codec.output_metadata(model),
    )


@router.get(
    "/models/{name}/config",
    response_model=ModelConfig,
    responses=documented(ErrorBody, *MODEL_CODES),
    summary="Model configuration (Triton's extension, as perf_analyzer asks for it)",
)
@router.get(
    "/models/{name}/versions/{version}/config",
    response_model=ModelConfig,
    responses=documented(ErrorBody, *MODEL_CODES),
    summary="Model configuration, one version",
)
async def model_config(
    name: str, registry: RegistryDep, work: WorkDep, settings: SettingsDep, version: str | None = None
) -> ModelConfig:
    model = await _model(registry, work, name, version)
    return ModelConfig(
        name=model.name,
        platform=model.backend,
        backend=model.backend,
        max_batch_size=settings.max_batch,
        input=codec.config_tensors(codec.input_metadata(model)),
        output=codec.config_tensors(codec.output_metadata(model)),
    )


@router.get(
    "/models/{name}/ready",
    response_model=ModelReady,
    responses=documented(ErrorBody, *MODEL_CODES),
    summary="Model readiness (OIP)",
)
@router.get(
    "/models/{name}/versions/{version}/ready",
    response_model=ModelReady,
    responses=documented(ErrorBody, *MODEL_CODES),
    summary="Model readiness, one version (OIP)",
)
async def model_ready(
    name: str, registry: RegistryDep, work: WorkDep, version: str | None = None
) -> ModelReady:
    await _model(registry, work, name, version)
    return ModelReady(name=name, ready=True)


@router.post(
    "/models/{name}/infer",
    response_model=InferenceResponse,
    responses=documented(ErrorBody, *INFER_CODES),
    openapi_extra={"requestBody": INFER_BODY},
    summary="Read a batch of images (OIP)",
)
@router.post(
    "/models/{name}/versions/{version}/infer",
    response_model=InferenceResponse,
    responses=documented(ErrorBody, *INFER_CODES),
    openapi_extra={"requestBody": INFER_BODY},
    summary="Read a batch of images, one version (OIP)",
)
async def infer(
    name: str,
    request: Request,
    registry: RegistryDep,
    work: WorkDep,
    settings: SettingsDep,
    version: str | None = None,
) -> Response:
    model = await _model(registry, work, name, version)
    headers = request.headers
    decoded = codec.decode(
        await request.body(),
        headers.get(codec.HEADER_LENGTH),
        headers.get("content-encoding", "identity"),
        model,
        settings.max_batch,
    )
    results = await work.batch(partial(codec.classify, model), decoded.inputs)
    if settings.metrics:
        metrics.record_answers(model.name, model.version, results)
    answer, json_length = codec.encode(decoded, model, results)
    if json_length is None:
        return Response(answer, media_type="application/json")
    return Response(
        answer, media_type="application/octet-stream", headers={codec.HEADER_LENGTH: str(json_length)}
    )
