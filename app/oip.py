"""The Open Inference Protocol v2 (KServe, Triton), REST, beside the API: health,
metadata, and inference on batches, so standard clients (tritonclient, KServe) work
unchanged.

`POST /v2/models/{digits,fashion}/infer` takes one input: `image`, FP32 [n, 28, 28, 1]
model inputs (in [0, 1], as app.preprocess makes them), or `image_bytes`, BYTES [n]
encoded images that go through the same decoding and preprocessing as /predict. Tensors come as JSON or with the binary tensor data extension; outputs are the
vocabulary of /predict, one tensor each. Errors are the protocol's `{"error": ...}`,
with the API's stable `code` beside it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from app.classifier import Classification, Classifier
from app.deps import ExecutorDep, ModelsDep, SettingsDep
from app.errors import ImageError
from app.metrics import record_answers
from app.preprocess import SIZE
from app.settings import Settings

router = APIRouter(prefix="/v2", tags=["Open Inference Protocol v2"])
PLATFORM = "litert"
IMAGE, IMAGE_BYTES = "image", "image_bytes"
HEADER_LENGTH = "inference-header-content-length"
BINARY_EXTENSION = "binary_tensor_data"
NUMPY_TYPES = {"FP32": "<f4", "INT32": "<i4", "BOOL": "?"}  # and BYTES, packed by _raw


class OipError(Exception):
    """A request the protocol endpoints refuse, answered as {"error": detail, "code": code}."""

    def __init__(self, status_code: int, detail: str, code: str) -> None:
        super().__init__(detail)
        self.status_code, self.detail, self.code = status_code, detail, code


class ErrorBody(BaseModel):
    error: str = Field(description="what went wrong, in words")
    code: str = Field(description="stable and machine-readable, as the API's Problem.code")


class TensorMetadata(BaseModel):
    name: str
    datatype: str
    shape: list[int] = Field(description="-1 for the batch dimension")
    parameters: dict[str, Any] | None = None


class ServerMetadata(BaseModel):
    name: str
    version: str
    extensions: list[str]


class ModelMetadata(BaseModel):
    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class Live(BaseModel):
    live: bool


class Ready(BaseModel):
    ready: bool


class ModelReady(BaseModel):
    name: str
    ready: bool


class RequestInput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    parameters: dict[str, Any] | None = None
    data: list[Any] | None = Field(
        None, description="row-major, flat or nested; for BYTES, base64 strings. Absent when the tensor comes "
        "after the JSON (parameters.binary_data_size)")


class RequestOutput(BaseModel):
    name: str
    parameters: dict[str, Any] | None = None


class InferenceRequest(BaseModel):
    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[RequestInput] = Field(min_length=1, max_length=1, description=f"one: {IMAGE} or {IMAGE_BYTES}")
    outputs: list[RequestOutput] | None = Field(None, description="the outputs wanted; all when absent")


class ResponseOutput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    parameters: dict[str, Any] | None = None
    data: list[Any] | None = None


class InferenceResponse(BaseModel):
    model_name: str
    model_version: str | None = None
    id: str | None = None
    parameters: dict[str, Any] | None = None
    outputs: list[ResponseOutput]


MEANINGS = {
    "digits": "white ink on black in [0, 1], the digit centred by mass in a 20x20 box (app.preprocess.to_model_input)",
    "fashion": "a light object on black in [0, 1], its longer side 28 px (app.preprocess.fashion_input)",
}


def _inputs(model: Classifier) -> list[TensorMetadata]:
    return [
        TensorMetadata(name=IMAGE, datatype="FP32", shape=[-1, SIZE, SIZE, 1],
                       parameters={"meaning": f"model inputs: {MEANINGS[model.card.task]}; send this or image_bytes"}),
        TensorMetadata(name=IMAGE_BYTES, datatype="BYTES", shape=[-1],
                       parameters={"meaning": "encoded images (PNG, JPEG, WebP, GIF, BMP), preprocessed as /predict "
                                   "does; send this or image"}),
    ]


def _outputs(model: Classifier, results: list[Classification]) -> dict[str, tuple[str, np.ndarray]]:
    """Each output tensor: /predict's answer, field by field, as datatype and values."""
    outputs = {
        "label": ("BYTES", np.array([r.label for r in results], object)),
        "index" if not model.reads_digits else "digit": ("INT32", np.array([r.index for r in results], np.int32)),
        "confidence": ("FP32", np.array([r.confidence for r in results], np.float32)),
        "probabilities": ("FP32", np.array([r.probabilities for r in results], np.float32).reshape(len(results), len(model.card.labels))),
    }
    if model.reads_digits:
        outputs["is_digit"] = ("BOOL", np.array([r.is_digit for r in results], bool))
        outputs["not_digit_score"] = ("FP32", np.array([r.not_digit_score for r in results], np.float32))
    return outputs


def _output_metadata(model: Classifier) -> list[TensorMetadata]:
    return [TensorMetadata(name=name, datatype=datatype, shape=[-1, *values.shape[1:]])
            for name, (datatype, values) in _outputs(model, []).items()]


ERRORS = {status: {"model": ErrorBody, "description": words} for status, words in {
    400: "Bad request: JSON, tensor name, datatype, shape or data, or an unusable image",
    404: "No such model or version",
    413: "More images than DIGITPAD_MAX_BATCH, or an image over the size limits",
    415: "Compressed request bodies, or an unsupported image type",
    503: "Model not loaded, or too many large images at once",
}.items()}
INFER_BODY = {
    "required": True,
    "description": "An inference request as JSON, or its JSON followed by the binary tensor data, with the "
    "JSON's length in the Inference-Header-Content-Length header (the binary tensor data extension).",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/InferenceRequest"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
}


def _model(name: str, version: str | None, models: dict[str, Classifier], settings: Settings) -> Classifier:
    if name not in settings.models:
        raise OipError(404, f"no model {name}; this server has {', '.join(settings.models)}", "model_not_found")
    if name not in models:
        raise OipError(503, f"model {name} not loaded", "model_not_loaded")
    model = models[name]
    if version is not None and version != model.version:
        raise OipError(404, f"no model {name} version {version}; it is version {model.version}", "model_not_found")
    return model


def _parse(body: bytes, header_length: str | None) -> tuple[InferenceRequest, memoryview]:
    """The request's JSON, and the binary tensor data after it."""
    binary = memoryview(b"")
    if header_length is not None:
        if not header_length.isdigit() or int(header_length) > len(body):
            raise OipError(400, f"{HEADER_LENGTH} must be the JSON's length, at most the body's {len(body)} bytes",
                           "bad_request")
        body, binary = body[:int(header_length)], memoryview(body)[int(header_length):]
    try:
        return InferenceRequest.model_validate_json(body), binary
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise OipError(400, f"not an inference request: {problems}", "bad_request") from exc


def _batch_size(tensor: RequestInput, max_batch: int) -> int:
    """The batch size from the shape, checked before any data is read."""
    expected = {IMAGE: ("FP32", [SIZE, SIZE, 1]), IMAGE_BYTES: ("BYTES", [])}
    if tensor.name not in expected:
        raise OipError(400, f"unknown input {tensor.name!r}: send {IMAGE} or {IMAGE_BYTES}", "bad_input_name")
    datatype, item_shape = expected[tensor.name]
    if tensor.datatype != datatype:
        raise OipError(400, f"input {tensor.name} must be {datatype}, not {tensor.datatype}", "bad_datatype")
    if len(tensor.shape) != 1 + len(item_shape) or tensor.shape[1:] != item_shape or tensor.shape[0] < 1:
        shape = [-1, *item_shape]
        raise OipError(400, f"input {tensor.name} must have shape {shape} (n >= 1), not {tensor.shape}", "bad_shape")
    if tensor.shape[0] > max_batch:
        raise OipError(413, f"{tensor.shape[0]} images in one request; at most {max_batch}", "batch_too_large")
    return tensor.shape[0]


def _binary(tensor: RequestInput, binary: memoryview) -> memoryview | None:
    size = (tensor.parameters or {}).get("binary_data_size")
    if size is None:
        return None
    if not isinstance(size, int) or size < 0 or size != len(binary):
        raise OipError(400, f"binary_data_size {size!r} does not match the {len(binary)} bytes after the JSON",
                       "bad_binary_data")
    return binary


def _floats(tensor: RequestInput, n: int, binary: memoryview | None) -> np.ndarray:
    elements = math.prod(tensor.shape)
    if binary is not None:
        if len(binary) != 4 * elements:
            raise OipError(400, f"{len(binary)} bytes of FP32 data for shape {tensor.shape}", "bad_binary_data")
        values = np.frombuffer(binary, dtype="<f4")
    else:
        try:
            values = np.asarray(tensor.data, dtype=np.float32).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise OipError(400, f"input {tensor.name}: data must be numbers, flat or nested", "bad_data") from exc
        if values.size != elements:
            raise OipError(400, f"input {tensor.name}: {values.size} values for shape {tensor.shape}", "bad_data")
    if not np.all((values >= 0) & (values <= 1)):  # NaN too
        raise OipError(400, f"input {tensor.name}: values must be in [0, 1], as the model's own inputs", "bad_data")
    return values.reshape(n, SIZE, SIZE)


def _images(tensor: RequestInput, n: int, binary: memoryview | None) -> list[bytes]:
    if binary is not None:  # each element: its length, 4 bytes little-endian, then its bytes
        images, at = [], 0
        while at + 4 <= len(binary) and len(images) < n:
            size = int.from_bytes(binary[at:at + 4], "little")
            images.append(bytes(binary[at + 4:at + 4 + size]))
            at += 4 + size
        if len(images) != n or at != len(binary) or len(images[-1]) != size:
            raise OipError(400, f"binary BYTES data does not hold the {n} elements of shape {tensor.shape}",
                           "bad_binary_data")
        return images
    if not isinstance(tensor.data, list) or len(tensor.data) != n or not all(isinstance(d, str) for d in tensor.data):
        raise OipError(400, f"input {tensor.name}: data must be {n} base64 strings", "bad_data")
    try:
        return [base64.b64decode(item, validate=True) for item in tensor.data]
    except (binascii.Error, ValueError) as exc:
        raise OipError(400, f"input {tensor.name}: data must be base64 strings", "bad_base64") from exc


def _raw(datatype: str, values: np.ndarray) -> bytes:
    """The binary tensor data extension's bytes: little-endian, row-major; a BYTES
    element as its length (4 bytes) and its UTF-8."""
    if datatype == "BYTES":
        encoded = [str(value).encode() for value in values.reshape(-1)]
        return b"".join(len(item).to_bytes(4, "little") + item for item in encoded)
    return values.astype(NUMPY_TYPES[datatype]).tobytes()


def _response(request: InferenceRequest, classifier: Classifier, results: list[Classification]) -> Response:
    tensors = _outputs(classifier, results)
    everything_binary = bool((request.parameters or {}).get("binary_data_output", False))
    wanted = request.outputs or [RequestOutput(name=name) for name in tensors]
    outputs, buffers = [], []
    for output in wanted:
        if output.name not in tensors:
            raise OipError(400, f"unknown output {output.name!r}: choose from {', '.join(tensors)}",
                           "bad_output_name")
        datatype, values = tensors[output.name]
        if (output.parameters or {}).get("binary_data", everything_binary):
            raw = _raw(datatype, values)
            buffers.append(raw)
            outputs.append(ResponseOutput(name=output.name, shape=list(values.shape), datatype=datatype,
                                          parameters={"binary_data_size": len(raw)}))
        else:
            outputs.append(ResponseOutput(name=output.name, shape=list(values.shape), datatype=datatype,
                                          data=values.reshape(-1).tolist()))
    answer = InferenceResponse(model_name=classifier.name, model_version=classifier.version, id=request.id, outputs=outputs)
    head = answer.model_dump_json(exclude_none=True).encode()
    if not buffers:
        return Response(head, media_type="application/json")
    return Response(b"".join([head, *buffers]), media_type="application/octet-stream",
                    headers={HEADER_LENGTH: str(len(head))})


@router.get("/health/live", response_model=Live, summary="Liveness (OIP)")
async def live() -> Live:
    return Live(live=True)


@router.get("/health/ready", response_model=Ready, responses={503: {"model": Ready}}, summary="Readiness (OIP)")
async def ready(models: ModelsDep, settings: SettingsDep):
    if any(name not in models for name in settings.models):
        return JSONResponse(Ready(ready=False).model_dump(), status_code=503)
    return Ready(ready=True)


@router.get("", response_model=ServerMetadata, summary="Server metadata (OIP)")
async def server_metadata(request: Request) -> ServerMetadata:
    return ServerMetadata(name=request.app.title, version=request.app.version, extensions=[BINARY_EXTENSION])


@router.get("/models/{name}", response_model=ModelMetadata, responses=ERRORS, summary="Model metadata (OIP)")
@router.get("/models/{name}/versions/{version}", response_model=ModelMetadata, responses=ERRORS,
            summary="Model metadata, one version (OIP)")
async def model_metadata(name: str, models: ModelsDep, settings: SettingsDep,
                         version: str | None = None) -> ModelMetadata:
    model = _model(name, version, models, settings)
    return ModelMetadata(name=model.name, versions=[model.version], platform=PLATFORM, inputs=_inputs(model),
                         outputs=_output_metadata(model))


@router.get("/models/{name}/ready", response_model=ModelReady, responses=ERRORS, summary="Model readiness (OIP)")
@router.get("/models/{name}/versions/{version}/ready", response_model=ModelReady, responses=ERRORS,
            summary="Model readiness, one version (OIP)")
async def model_ready(name: str, models: ModelsDep, settings: SettingsDep, version: str | None = None) -> ModelReady:
    _model(name, version, models, settings)
    return ModelReady(name=name, ready=True)


@router.post("/models/{name}/infer", response_model=InferenceResponse, responses=ERRORS,
             openapi_extra={"requestBody": INFER_BODY}, summary="Read a batch of images (OIP)")
@router.post("/models/{name}/versions/{version}/infer", response_model=InferenceResponse, responses=ERRORS,
             openapi_extra={"requestBody": INFER_BODY}, summary="Read a batch of images, one version (OIP)")
async def infer(name: str, request: Request, models: ModelsDep, executor: ExecutorDep,
                settings: SettingsDep, version: str | None = None) -> Response:
    model = _model(name, version, models, settings)
    if request.headers.get("content-encoding", "identity").lower() != "identity":
        raise OipError(415, "compressed request bodies are not accepted", "unsupported_content_encoding")
    inference, binary = _parse(await request.body(), request.headers.get(HEADER_LENGTH))
    tensor = inference.inputs[0]
    n = _batch_size(tensor, settings.max_batch)
    data = _binary(tensor, binary)
    if data is None and tensor.data is None:
        raise OipError(400, f"input {tensor.name} has neither data nor binary_data_size", "bad_data")
    if data is None and len(binary):
        raise OipError(400, "binary data after the JSON, but no input has binary_data_size", "bad_binary_data")
    loop = asyncio.get_running_loop()
    try:
        if tensor.name == IMAGE:
            results = await loop.run_in_executor(executor, model.classify_inputs, _floats(tensor, n, data))
        else:
            results = await loop.run_in_executor(executor, model.classify_many, _images(tensor, n, data))
    except ImageError as exc:
        raise OipError(exc.status_code, exc.detail, exc.code) from exc
    if settings.metrics:
        record_answers(model.name, model.version, results)
    return _response(inference, model, results)
