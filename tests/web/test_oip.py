"""The Open Inference Protocol v2 endpoints: a real client (tritonclient, unchanged)
against a real server, the same answers as /predict, and the protocol's error body for
every bad request."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import tritonclient.http as triton
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from tritonclient.utils import InferenceServerException

from app.core.decode import decode
from app.core.limits import Limits
from app.core.preprocess import to_model_input
from app.settings import Settings
from app.web.main import create_app
from support.drawing import draw, encode

IMAGES = [encode(draw(digit)) for digit in (0, 1, 2, 4, 5, 6, 7)] + [encode(draw("A"))]
INFER = "/v2/models/digits/infer"
ANSWER_FIELDS = ("digit", "confidence", "probabilities", "is_digit", "not_digit_score")


def predict_answers(client) -> list[dict]:
    return [
        client.post("/predict", content=image, headers={"content-type": "image/png"}).json()
        for image in IMAGES
    ]


def as_answers(result) -> list[dict]:
    """tritonclient's result, one dict per image in /predict's vocabulary."""
    columns = {name: result.as_numpy(name).tolist() for name in ANSWER_FIELDS}
    return [{name: columns[name][i] for name in ANSWER_FIELDS} for i in range(len(IMAGES))]


def assert_same_answers(got: list[dict], expected: list[dict]) -> None:
    for mine, theirs in zip(got, expected, strict=True):
        assert mine["digit"] == theirs["digit"] and mine["is_digit"] == theirs["is_digit"]
        for field in ("confidence", "not_digit_score"):
            assert mine[field] == pytest.approx(theirs[field], abs=1e-6)
        assert mine["probabilities"] == pytest.approx(theirs["probabilities"], abs=1e-6)


@pytest.fixture(scope="module")
def triton_client(live_server):
    with triton.InferenceServerClient(live_server.removeprefix("http://")) as client:
        yield client


def test_tritonclient_sees_a_live_ready_server_and_its_model(triton_client):
    assert triton_client.is_server_live() and triton_client.is_server_ready()
    assert triton_client.is_model_ready("digits")
    assert "binary_tensor_data" in triton_client.get_server_metadata()["extensions"]
    metadata = triton_client.get_model_metadata("digits")
    # One input listed, as perf_analyzer sends every one listed; `image` is named in its parameters.
    assert [(i["name"], i["shape"]) for i in metadata["inputs"]] == [("image_bytes", [-1, 1])]
    assert "send image, FP32" in metadata["inputs"][0]["parameters"]["meaning"]
    assert {o["name"] for o in metadata["outputs"]} == {"label", *ANSWER_FIELDS}


def test_tritonclient_batch_of_model_inputs_answers_as_predict(triton_client, client):
    inputs = np.stack([to_model_input(decode(image, Limits(max_pixels=10**8))) for image in IMAGES])[
        ..., None
    ].astype(np.float32)
    tensor = triton.InferInput("image", list(inputs.shape), "FP32")
    tensor.set_data_from_numpy(inputs)  # binary tensor data, tritonclient's default
    result = triton_client.infer("digits", [tensor])
    assert_same_answers(as_answers(result), predict_answers(client))


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
@pytest.mark.parametrize("rows", [False, True], ids=["list", "rows"])
def test_tritonclient_batch_of_encoded_images_answers_as_predict(triton_client, client, binary, rows):
    """A list [n] or, as Triton batches strings and the metadata says, one per row [n, 1]."""
    data = np.array(IMAGES if binary else [base64.b64encode(image) for image in IMAGES], dtype=np.object_)
    if rows:
        data = data.reshape(-1, 1)
    tensor = triton.InferInput("image_bytes", list(data.shape), "BYTES")
    tensor.set_data_from_numpy(data, binary_data=binary)
    outputs = [triton.InferRequestedOutput(name, binary_data=binary) for name in ANSWER_FIELDS]
    result = triton_client.infer("digits", [tensor], outputs=outputs)
    answers = as_answers(result)
    assert_same_answers(answers, predict_answers(client))
    assert [a["digit"] for a in answers[:7]] == [0, 1, 2, 4, 5, 6, 7] and answers[7]["is_digit"] is False


def test_tritonclient_gets_the_protocol_error(triton_client):
    tensor = triton.InferInput("image", [1, 28, 28, 1], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 28, 28, 1), np.float32))
    with pytest.raises(InferenceServerException) as raised:
        triton_client.infer("clothes", [tensor])
    assert raised.value.status() == "404" and "no model 'clothes'" in raised.value.message()


def test_json_outputs_as_asked(client):
    request = {
        "id": "r1",
        "inputs": [
            {"name": "image", "shape": [1, 28, 28, 1], "datatype": "FP32", "data": [[[[0.0]] * 28] * 28]}
        ],
        "outputs": [{"name": "digit"}, {"name": "probabilities"}],
    }
    answer = client.post(INFER, json=request).json()
    assert answer["id"] == "r1" and answer["model_name"] == "digits"
    assert answer["model_version"] == client.get("/model").json()["version"]
    assert [(o["name"], o["shape"], o["datatype"]) for o in answer["outputs"]] == [
        ("digit", [1], "INT32"),
        ("probabilities", [1, 10], "FP32"),
    ]
    assert sum(answer["outputs"][1]["data"]) == pytest.approx(1, abs=1e-5)


def test_same_answers_by_version(client):
    version = client.get("/model").json()["version"]
    assert client.get(f"/v2/models/digits/versions/{version}/ready").json() == {
        "name": "digits",
        "ready": True,
    }
    request = {
        "inputs": [
            {
                "name": "image_bytes",
                "shape": [1],
                "datatype": "BYTES",
                "data": [base64.b64encode(IMAGES[0]).decode()],
            }
        ]
    }
    by_version = client.post(f"/v2/models/digits/versions/{version}/infer", json=request).json()
    assert by_version == client.post(INFER, json=request).json()


def image_request(n: int = 1, **changes) -> dict:
    tensor = {
        "name": "image",
        "shape": [n, 28, 28, 1],
        "datatype": "FP32",
        "data": [0.0] * (784 * n),
    } | changes
    return {"inputs": [tensor]}


def binary_request(json_part: dict, data: bytes, length: int | None = None) -> dict:
    head = json.dumps(json_part).encode()
    return {
        "content": head + data,
        "headers": {"inference-header-content-length": str(len(head) if length is None else length)},
    }


PNG_B64 = base64.b64encode(IMAGES[0]).decode()
BAD = {
    "not JSON": ({"content": b"{"}, 400, "bad_request"),
    "no inputs": ({"json": {"inputs": []}}, 400, "bad_request"),
    "two inputs": ({"json": {"inputs": image_request()["inputs"] * 2}}, 400, "bad_request"),
    "unknown input": ({"json": image_request(name="pixels")}, 400, "bad_input_name"),
    "wrong datatype": ({"json": image_request(datatype="FP64")}, 400, "bad_datatype"),
    "wrong shape": ({"json": image_request(shape=[1, 28, 28])}, 400, "bad_shape"),
    "empty batch": ({"json": image_request(shape=[0, 28, 28, 1], data=[])}, 400, "bad_shape"),
    "two images a row": (
        {
            "json": {
                "inputs": [{"name": "image_bytes", "shape": [1, 2], "datatype": "BYTES", "data": ["", ""]}]
            }
        },
        400,
        "bad_shape",
    ),
    "too many elements": ({"json": image_request(shape=[100_000, 28, 28, 1])}, 413, "batch_too_large"),
    "too few values": ({"json": image_request(data=[0.0] * 10)}, 400, "bad_data"),
    "not numbers": ({"json": image_request(data=["x"] * 784)}, 400, "bad_data"),
    "out of range": ({"json": image_request(data=[255.0] * 784)}, 400, "bad_data"),
    "no data": ({"json": image_request(data=None)}, 400, "bad_data"),
    "unknown output": ({"json": image_request() | {"outputs": [{"name": "logits"}]}}, 400, "bad_output_name"),
    "bytes not base64": (
        {"json": {"inputs": [{"name": "image_bytes", "shape": [1], "datatype": "BYTES", "data": ["%%%"]}]}},
        400,
        "bad_base64",
    ),
    "bytes count": (
        {"json": {"inputs": [{"name": "image_bytes", "shape": [2], "datatype": "BYTES", "data": [PNG_B64]}]}},
        400,
        "bad_data",
    ),
    "undecodable image": (
        {
            "json": {
                "inputs": [
                    {"name": "image_bytes", "shape": [2], "datatype": "BYTES", "data": [PNG_B64, "aGVsbG8="]}
                ]
            }
        },
        400,
        "undecodable_image",
    ),
    "header length past the body": (binary_request(image_request(), b"", 10**6), 400, "bad_request"),
    "binary size mismatch": (
        binary_request(
            {
                "inputs": [
                    {
                        "name": "image",
                        "shape": [1, 28, 28, 1],
                        "datatype": "FP32",
                        "parameters": {"binary_data_size": 3136},
                    }
                ]
            },
            b"\0" * 100,
        ),
        400,
        "bad_binary_data",
    ),
    "truncated binary bytes": (
        binary_request(
            {
                "inputs": [
                    {
                        "name": "image_bytes",
                        "shape": [1],
                        "datatype": "BYTES",
                        "parameters": {"binary_data_size": 8},
                    }
                ]
            },
            b"\xff\0\0\0abcd",
        ),
        400,
        "bad_binary_data",
    ),
    "compressed": (
        {"json": image_request(), "headers": {"content-encoding": "gzip"}},
        415,
        "unsupported_content_encoding",
    ),
}


@pytest.mark.parametrize("request_kwargs, status, code", BAD.values(), ids=BAD.keys())
def test_bad_requests_get_the_protocol_error(client, request_kwargs, status, code):
    response = client.post(INFER, **request_kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code"} and body["code"] == code and body["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/v2/models/clothes",
        "/v2/models/clothes/ready",
        "/v2/models/digits/versions/0/ready",
        "/v2/models/digits/anything",
    ],
)
def test_unknown_models_and_paths_404_in_protocol_shape(client, path):
    response = client.get(path)
    assert response.status_code == 404 and set(response.json()) == {"error", "code"}
    unknown = client.post("/v2/models/clothes/infer", json=image_request())
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_model"


def test_the_api_keeps_its_own_error_shape(client):
    assert set(client.get("/nothing").json()) == {"detail", "code"}


TENSORS = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["image", "image_bytes", "x"]),
        "datatype": st.sampled_from(["FP32", "BYTES", "INT8"]),
        "shape": st.lists(st.integers(-2, 300), max_size=5),
    },
    optional={
        "data": st.lists(st.one_of(st.floats(), st.text(max_size=8), st.none()), max_size=40),
        "parameters": st.fixed_dictionaries({"binary_data_size": st.integers(-1, 5000)}),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(tensor=TENSORS, tail=st.binary(max_size=64), header_length=st.one_of(st.none(), st.integers(-1, 400)))
def test_any_inference_request_gets_an_answer_or_the_protocol_error(client, tensor, tail, header_length):
    head = json.dumps({"inputs": [tensor]}).encode()
    headers = {} if header_length is None else {"inference-header-content-length": str(header_length)}
    response = client.post(INFER, content=head + tail, headers=headers)
    assert response.status_code in (200, 400, 413), response.text
    if response.status_code != 200:
        assert set(response.json()) == {"error", "code"}


def test_an_output_asked_for_twice_is_refused_before_any_work(client):
    request = {
        "inputs": [{"name": "image", "shape": [1, 28, 28, 1], "datatype": "FP32", "data": [0.0] * 784}],
        "outputs": [{"name": "probabilities"}] * 3000,
    }
    response = client.post(INFER, json=request)
    assert response.status_code == 400 and response.json()["code"] == "bad_output_name"


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"content": b'{"inputs": []}', "headers": {"inference-header-content-length": b"\xb2"}},
        {
            "content": b'{"inputs": [{"name": "image", "shape": [1, 28, 28, 1], "datatype": "FP32", "data": [1'
            + b"0" * 400
            + b"]}]}",
            "headers": {"content-type": "application/json"},
        },
    ],
)
def test_odd_numbers_are_a_bad_request_not_a_500(client, request_kwargs):
    response = client.post(INFER, **request_kwargs)
    assert response.status_code == 400 and set(response.json()) == {"error", "code"}


def test_a_batch_holds_at_most_the_pixels_of_one_image():
    app = create_app(Settings(max_pixels=1_000_000))
    big = encode(Image.new("L", (900, 900), 255))  # 0.81 Mpx each: one passes the limit, two together do not
    images = [base64.b64encode(big).decode()] * 2
    request = {"inputs": [{"name": "image_bytes", "shape": [2], "datatype": "BYTES", "data": images}]}
    with TestClient(app) as client:
        response = client.post(INFER, json=request)
    assert response.status_code == 413 and response.json()["code"] == "batch_too_large"


def test_the_model_configuration_is_tritons(client):
    """What perf_analyzer and Triton's clients ask for: the batch limit, and each tensor's type and item shape."""
    config = client.get("/v2/models/digits/config").json()
    metadata = client.get("/v2/models/digits").json()
    assert config["name"] == "digits" and config["max_batch_size"] == Settings().max_batch
    assert config["input"] == [{"name": "image_bytes", "data_type": "TYPE_STRING", "dims": [1]}]
    assert [t["name"] for t in config["output"]] == [t["name"] for t in metadata["outputs"]]
    assert {"name": "probabilities", "data_type": "TYPE_FP32", "dims": [10]} in config["output"]
    assert client.get("/v2/models/fashion/config").json()["output"][1]["name"] == "index"
    assert client.get("/v2/models/nope/config").json()["code"] == "unknown_model"
    assert "model_configuration" in client.get("/v2").json()["extensions"]
