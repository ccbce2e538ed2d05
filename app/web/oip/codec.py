"""Tensors in and out of the Open Inference Protocol: a request's JSON and its binary
tensor data to images or model inputs, checked before anything is decoded, and answers
to output tensors, as JSON or binary. Nothing here knows of HTTP."""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass

import numpy as np
from pydantic import ValidationError

from app.core.classifier import Classification, Classifier
from app.core.errors import Code, Refusal
from app.core.preprocess import SIZE
from app.web.oip.types import (
    IMAGE,
    IMAGE_BYTES,
    ConfigTensor,
    InferenceRequest,
    InferenceResponse,
    RequestInput,
    RequestOutput,
    ResponseOutput,
    TensorMetadata,
)
from app.web.work import Batch


@dataclass(frozen=True)
class Decoded:
    """An inference request, checked: its batch, and the outputs it asks for."""

    request: InferenceRequest
    inputs: Batch
    wanted: list[RequestOutput]


HEADER_LENGTH = "inference-header-content-length"
NUMPY_TYPES = {"FP32": "<f4", "INT32": "<i4", "BOOL": "?"}  # and BYTES, packed by `raw`


def input_metadata(model: Classifier) -> list[TensorMetadata]:
    """The one input listed: perf_analyzer and typed clients send every input listed, so `image`
    (the model's own inputs, preprocessed elsewhere) is named in its parameters instead."""
    return [
        TensorMetadata(
            name=IMAGE_BYTES,
            datatype="BYTES",
            shape=[-1, 1],
            parameters={
                "meaning": "encoded images (PNG, JPEG, WebP, GIF, BMP), one per row, preprocessed as "
                f"/predict does; or send {IMAGE}, FP32 [-1, {SIZE}, {SIZE}, 1]: {model.task.input_meaning}"
            },
        )
    ]


def outputs(model: Classifier, results: list[Classification]) -> dict[str, tuple[str, np.ndarray]]:
    """Each output tensor: /predict's answer, field by field, as datatype and values."""
    tensors = {
        "label": ("BYTES", np.array([r.label for r in results], object)),
        "digit" if model.can.reject else "index": ("INT32", np.array([r.index for r in results], np.int32)),
        "confidence": ("FP32", np.array([r.confidence for r in results], np.float32)),
        "probabilities": (
            "FP32",
            np.array([r.probabilities for r in results], np.float32).reshape(
                len(results), len(model.task.labels)
            ),
        ),
    }
    if model.can.reject:
        tensors["is_digit"] = ("BOOL", np.array([r.is_digit for r in results], bool))
        tensors["not_digit_score"] = ("FP32", np.array([r.not_digit_score for r in results], np.float32))
    return tensors


def output_metadata(model: Classifier) -> list[TensorMetadata]:
    return [
        TensorMetadata(name=name, datatype=datatype, shape=[-1, *values.shape[1:]])
        for name, (datatype, values) in outputs(model, []).items()
    ]


TRITON_TYPES = {"FP32": "TYPE_FP32", "INT32": "TYPE_INT32", "BOOL": "TYPE_BOOL", "BYTES": "TYPE_STRING"}


def config_tensors(tensors: list[TensorMetadata]) -> list[ConfigTensor]:
    """Tensors as Triton's model configuration has them: each item's shape, at least [1]."""
    return [
        ConfigTensor(name=t.name, data_type=TRITON_TYPES[t.datatype], dims=t.shape[1:] or [1])
        for t in tensors
    ]


def decode(
    body: bytes, header_length: str | None, content_encoding: str, model: Classifier, max_batch: int
) -> Decoded:
    """The request, every check made before any image is decoded or any model runs."""
    if content_encoding.lower() != "identity":
        raise Refusal(Code.UNSUPPORTED_CONTENT_ENCODING, "compressed request bodies are not accepted")
    inference, binary = parse(body, header_length)
    tensor = inference.inputs[0]
    n = batch_size(tensor, max_batch)
    data = binary_data(tensor, binary)
    wanted = wanted_outputs(inference, model)
    inputs = floats(tensor, n, data) if tensor.name == IMAGE else images(tensor, n, data)
    return Decoded(inference, inputs, wanted)


def classify(model: Classifier, inputs: Batch) -> list[Classification]:
    return (
        model.classify_inputs(inputs) if isinstance(inputs, np.ndarray) else model.classify_many(list(inputs))
    )


def parse(body: bytes, header_length: str | None) -> tuple[InferenceRequest, memoryview]:
    """The request's JSON, and the binary tensor data after it."""
    binary = memoryview(b"")
    if header_length is not None:
        # ASCII digits only: "²".isdigit() is true, and int() refuses it.
        if not (header_length.isascii() and header_length.isdigit()) or int(header_length) > len(body):
            raise Refusal(
                Code.BAD_REQUEST,
                f"{HEADER_LENGTH} must be the JSON's length, at most the body's {len(body)} bytes",
            )
        body, binary = body[: int(header_length)], memoryview(body)[int(header_length) :]
    try:
        return InferenceRequest.model_validate_json(body), binary
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise Refusal(Code.BAD_REQUEST, f"not an inference request: {problems}") from exc


def batch_size(tensor: RequestInput, max_batch: int) -> int:
    """The batch size from the shape, checked before any data is read."""
    # Encoded images: one per row ([n, 1], as Triton batches strings) or a plain list ([n]).
    expected = {IMAGE: ("FP32", ([SIZE, SIZE, 1],)), IMAGE_BYTES: ("BYTES", ([1], []))}
    if tensor.name not in expected:
        raise Refusal(Code.BAD_INPUT_NAME, f"unknown input {tensor.name!r}: send {IMAGE_BYTES} or {IMAGE}")
    datatype, item_shapes = expected[tensor.name]
    if tensor.datatype != datatype:
        raise Refusal(Code.BAD_DATATYPE, f"input {tensor.name} must be {datatype}, not {tensor.datatype}")
    if not tensor.shape or tensor.shape[1:] not in item_shapes or tensor.shape[0] < 1:
        shape = [-1, *item_shapes[0]]
        raise Refusal(
            Code.BAD_SHAPE, f"input {tensor.name} must have shape {shape} (n >= 1), not {tensor.shape}"
        )
    if tensor.shape[0] > max_batch:
        raise Refusal(Code.BATCH_TOO_LARGE, f"{tensor.shape[0]} images in one request; at most {max_batch}")
    return tensor.shape[0]


def binary_data(tensor: RequestInput, binary: memoryview) -> memoryview | None:
    """The tensor's binary data, when it says it has some, checked against what came."""
    size = (tensor.parameters or {}).get("binary_data_size")
    if size is None:
        if tensor.data is None:
            raise Refusal(Code.BAD_DATA, f"input {tensor.name} has neither data nor binary_data_size")
        if len(binary):
            raise Refusal(
                Code.BAD_BINARY_DATA, "binary data after the JSON, but no input has binary_data_size"
            )
        return None
    if not isinstance(size, int) or size < 0 or size != len(binary):
        raise Refusal(
            Code.BAD_BINARY_DATA,
            f"binary_data_size {size!r} does not match the {len(binary)} bytes after the JSON",
        )
    return binary


def floats(tensor: RequestInput, n: int, binary: memoryview | None) -> np.ndarray:
    """(n, 28, 28) model inputs in [0, 1]."""
    elements = math.prod(tensor.shape)
    if binary is not None:
        if len(binary) != 4 * elements:
            raise Refusal(Code.BAD_BINARY_DATA, f"{len(binary)} bytes of FP32 data for shape {tensor.shape}")
        values = np.frombuffer(binary, dtype="<f4")
    else:
        try:
            values = np.asarray(tensor.data, dtype=np.float32).reshape(-1)
        except (TypeError, ValueError, OverflowError) as exc:
            raise Refusal(
                Code.BAD_DATA, f"input {tensor.name}: data must be numbers, flat or nested"
            ) from exc
        if values.size != elements:
            raise Refusal(
                Code.BAD_DATA, f"input {tensor.name}: {values.size} values for shape {tensor.shape}"
            )
    if not np.all((values >= 0) & (values <= 1)):  # NaN too
        raise Refusal(
            Code.BAD_DATA, f"input {tensor.name}: values must be in [0, 1], as the model's own inputs"
        )
    return values.reshape(n, SIZE, SIZE)


def images(tensor: RequestInput, n: int, binary: memoryview | None) -> list[bytes]:
    """n encoded images."""
    if binary is not None:  # each element: its length, 4 bytes little-endian, then its bytes
        found: list[bytes] = []
        at = size = 0
        while at + 4 <= len(binary) and len(found) < n:
            size = int.from_bytes(binary[at : at + 4], "little")
            found.append(bytes(binary[at + 4 : at + 4 + size]))
            at += 4 + size
        if len(found) != n or at != len(binary) or len(found[-1]) != size:
            raise Refusal(
                Code.BAD_BINARY_DATA,
                f"binary BYTES data does not hold the {n} elements of shape {tensor.shape}",
            )
        return found
    data = tensor.data
    if isinstance(data, list) and all(isinstance(row, list) and len(row) == 1 for row in data):
        data = [row[0] for row in data]  # nested as the shape [n, 1]
    if not isinstance(data, list) or len(data) != n or not all(isinstance(d, str) for d in data):
        raise Refusal(Code.BAD_DATA, f"input {tensor.name}: data must be {n} base64 strings")
    try:
        return [base64.b64decode(item, validate=True) for item in data]
    except (binascii.Error, ValueError) as exc:
        raise Refusal(Code.BAD_BASE64, f"input {tensor.name}: data must be base64 strings") from exc


def wanted_outputs(request: InferenceRequest, model: Classifier) -> list[RequestOutput]:
    """The outputs asked for, each a name the model has, once; all of them when none are named.
    Checked before any work: a request cannot ask for one output thousands of times."""
    names = list(outputs(model, []))
    if request.outputs is None:
        return [RequestOutput(name=name) for name in names]
    seen: set[str] = set()
    for output in request.outputs:
        if output.name not in names:
            raise Refusal(
                Code.BAD_OUTPUT_NAME, f"unknown output {output.name!r}: choose from {', '.join(names)}"
            )
        if output.name in seen:
            raise Refusal(Code.BAD_OUTPUT_NAME, f"output {output.name!r} asked for more than once")
        seen.add(output.name)
    return request.outputs


def raw(datatype: str, values: np.ndarray) -> bytes:
    """The binary tensor data extension's bytes: little-endian, row-major; a BYTES
    element as its length (4 bytes) and its UTF-8."""
    if datatype == "BYTES":
        encoded = [str(value).encode() for value in values.reshape(-1)]
        return b"".join(len(item).to_bytes(4, "little") + item for item in encoded)
    return values.astype(NUMPY_TYPES[datatype]).tobytes()


def encode(decoded: Decoded, model: Classifier, results: list[Classification]) -> tuple[bytes, int | None]:
    """The answer's bytes, and the JSON's length when binary tensor data follows it."""
    request, wanted = decoded.request, decoded.wanted
    tensors = outputs(model, results)
    everything_binary = bool((request.parameters or {}).get("binary_data_output", False))
    answers, buffers = [], []
    for output in wanted:
        datatype, values = tensors[output.name]
        if (output.parameters or {}).get("binary_data", everything_binary):
            data = raw(datatype, values)
            buffers.append(data)
            answers.append(
                ResponseOutput(
                    name=output.name,
                    shape=list(values.shape),
                    datatype=datatype,
                    parameters={"binary_data_size": len(data)},
                )
            )
        else:
            answers.append(
                ResponseOutput(
                    name=output.name,
                    shape=list(values.shape),
                    datatype=datatype,
                    data=values.reshape(-1).tolist(),
                )
            )
    head = (
        InferenceResponse(model_name=model.name, model_version=model.version, id=request.id, outputs=answers)
        .model_dump_json(exclude_none=True)
        .encode()
    )
    if not buffers:
        return head, None
    return b"".join([head, *buffers]), len(head)
