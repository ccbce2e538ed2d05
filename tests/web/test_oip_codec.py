"""app.web.oip.codec, without HTTP: an inference request's bytes to a checked batch, and
the answers to output tensors, as JSON or as the binary tensor data extension's bytes."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from app.core.classifier import Classifier
from app.core.errors import Code, Refusal
from app.settings import Settings
from app.web.oip import codec
from support.drawing import draw, encode


@pytest.fixture(scope="module")
def model() -> Classifier:
    return Classifier.load("digits", Settings().model_folder("digits"))


def request(inputs: dict, **extra: object) -> bytes:
    return json.dumps({"inputs": [inputs], **extra}).encode()


def images_request(*digits: int, **extra: object) -> bytes:
    data = [base64.b64encode(encode(draw(digit))).decode() for digit in digits]
    return request({"name": "image_bytes", "shape": [len(data)], "datatype": "BYTES", "data": data}, **extra)


def test_encoded_images_decode_to_a_batch_of_images_and_read_as_predict_does(model):
    decoded = codec.decode(images_request(7, 4), None, "identity", model, max_batch=8)
    assert isinstance(decoded.inputs, list) and len(decoded.inputs) == 2
    results = codec.classify(model, decoded.inputs)
    assert [result.digit for result in results] == [7, 4]


def test_model_inputs_decode_to_an_array_of_the_models_shape(model):
    zeros = np.zeros((2, 28, 28, 1), np.float32)
    body = request(
        {"name": "image", "shape": [2, 28, 28, 1], "datatype": "FP32", "data": zeros.ravel().tolist()}
    )
    decoded = codec.decode(body, None, "identity", model, max_batch=8)
    assert isinstance(decoded.inputs, np.ndarray) and decoded.inputs.shape[0] == 2


def test_binary_tensor_data_follows_the_json_its_length_names(model):
    zeros = np.zeros((1, 28, 28, 1), np.float32)
    head = request(
        {
            "name": "image",
            "shape": [1, 28, 28, 1],
            "datatype": "FP32",
            "parameters": {"binary_data_size": 3136},
        }
    )
    decoded = codec.decode(head + zeros.tobytes(), str(len(head)), "identity", model, max_batch=8)
    assert isinstance(decoded.inputs, np.ndarray) and not decoded.inputs.any()


@pytest.mark.parametrize(
    "body, header_length, encoding, code",
    [
        (images_request(7), None, "gzip", Code.UNSUPPORTED_CONTENT_ENCODING),
        (b"{", None, "identity", Code.BAD_REQUEST),
        (images_request(7), "²", "identity", Code.BAD_REQUEST),
        (
            request({"name": "pixels", "shape": [1], "datatype": "BYTES", "data": ["x"]}),
            None,
            "identity",
            Code.BAD_INPUT_NAME,
        ),
        (images_request(7, 7, 7), None, "identity", Code.BATCH_TOO_LARGE),
        (
            images_request(7, outputs=[{"name": "digit"}, {"name": "digit"}]),
            None,
            "identity",
            Code.BAD_OUTPUT_NAME,
        ),
        (
            request({"name": "image_bytes", "shape": [1], "datatype": "BYTES", "data": ["%%"]}),
            None,
            "identity",
            Code.BAD_BASE64,
        ),
    ],
    ids=["compressed", "not json", "header length", "input name", "batch", "output twice", "base64"],
)
def test_every_check_is_made_before_any_image_is_read(model, body, header_length, encoding, code):
    with pytest.raises(Refusal) as refused:
        codec.decode(body, header_length, encoding, model, max_batch=2)
    assert refused.value.code is code


def test_answers_encode_as_json_or_as_binary_after_it(model):
    decoded = codec.decode(
        images_request(7, outputs=[{"name": "digit"}]), None, "identity", model, max_batch=8
    )
    results = codec.classify(model, decoded.inputs)
    answer, json_length = codec.encode(decoded, model, results)
    assert json_length is None
    assert json.loads(answer)["outputs"] == [
        {"name": "digit", "shape": [1], "datatype": "INT32", "data": [7]}
    ]

    binary = images_request(7, outputs=[{"name": "digit", "parameters": {"binary_data": True}}])
    decoded = codec.decode(binary, None, "identity", model, max_batch=8)
    answer, json_length = codec.encode(decoded, model, results)
    assert json_length is not None
    assert json.loads(answer[:json_length])["outputs"][0]["parameters"] == {"binary_data_size": 4}
    assert np.frombuffer(answer[json_length:], "<i4").tolist() == [7]
