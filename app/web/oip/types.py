"""The Open Inference Protocol v2's wire types (KServe, Triton): requests, responses,
metadata and errors, as its REST specification names them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.core.errors import Code

IMAGE, IMAGE_BYTES = "image", "image_bytes"


class ErrorBody(BaseModel):
    error: str = Field(description="what went wrong, in words")
    code: Code = Field(description="stable and machine-readable, as the API's Problem.code")


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
        None,
        description="row-major, flat or nested; for BYTES, base64 strings. Absent when the tensor comes "
        "after the JSON (parameters.binary_data_size)",
    )


class RequestOutput(BaseModel):
    name: str
    parameters: dict[str, Any] | None = None


class InferenceRequest(BaseModel):
    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[RequestInput] = Field(
        min_length=1, max_length=1, description=f"one: {IMAGE} or {IMAGE_BYTES}"
    )
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


class ConfigTensor(BaseModel):
    name: str
    data_type: str = Field(description="Triton's type name: TYPE_FP32, TYPE_INT32, TYPE_BOOL, TYPE_STRING")
    dims: list[int] = Field(description="the shape of one item, without the batch dimension")


class ModelConfig(BaseModel):
    """Triton's model configuration extension, as perf_analyzer and Triton's clients read it."""

    name: str
    platform: str
    backend: str
    max_batch_size: int = Field(description="most images in one request (DIGITPAD_MAX_BATCH)")
    input: list[ConfigTensor]
    output: list[ConfigTensor]
