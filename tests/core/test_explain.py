"""POST /explain and app.core.explain: every layer's outputs, as Keras computes them, and
an attribution that lands on the ink."""

import base64
import io
import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.core.card import ModelCard
from app.core.explain import Explainer, LayersRunner, grey_image, layers_file
from app.core.limits import Limits
from app.core.tasks import DIGITS
from app.settings import Settings
from app.web.main import create_app
from support.drawing import draw, encode
from support.paths import MNIST_DIR, ROOT, needs_mnist
from support.servers import CANVAS
from tests.web.test_api import BAD_INPUTS
from training.data import load_mnist

MODELS = ROOT / "models" / "digits"
LAYERS_FILE = layers_file("digits")
CARD = ModelCard.read(MODELS / "model_card.json")


@pytest.fixture(scope="module")
def explainer() -> Explainer:
    return Explainer.load(MODELS, CARD, Limits())


@pytest.fixture(scope="module")
def mnist_test() -> np.ndarray:
    return DIGITS.inputs(load_mnist(MNIST_DIR).x_test[:200])


def post(client, data: bytes = CANVAS.read_bytes(), **kwargs):
    return client.post("/explain", content=data, headers={"content-type": "image/png"}, **kwargs)


def png_pixels(data_url: str) -> np.ndarray:
    assert data_url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))))


def test_card_lists_every_layer_and_the_layers_model():
    import hashlib

    assert [layer.kind for layer in CARD.layers] == [
        "conv",
        "batch-norm",
        "relu",
        "pool",
        "conv",
        "batch-norm",
        "relu",
        "conv",
        "batch-norm",
        "relu",
        "pool",
        "flatten",
        "dense",
        "batch-norm",
        "relu",
        "dropout",
        "softmax",
    ]
    assert sum(layer.parameters for layer in CARD.layers) == CARD.parameters
    assert CARD.layers[-1].shape == CARD.output.shape
    assert CARD.files[LAYERS_FILE] == hashlib.sha256((MODELS / LAYERS_FILE).read_bytes()).hexdigest()


@needs_mnist()
def test_litert_layers_equal_keras_intermediate_outputs(mnist_test):
    import keras

    from training.explain_export import max_difference

    model = keras.saving.load_model(MODELS / "digits.keras", compile=False)
    drawn = DIGITS.inputs([draw(digit) for digit in (0, 4, 7)])
    images = np.concatenate([mnist_test[:8], drawn])
    assert max_difference(MODELS / LAYERS_FILE, model, images) < 1e-4


@needs_mnist()
def test_attribution_is_higher_on_the_ink_than_on_the_paper(explainer, mnist_test):
    on_ink, on_paper = [], []
    for model_input in mnist_test:
        attribution = explainer.explain_input(model_input).attribution
        on_ink.append(attribution[model_input > 0.5].mean())
        on_paper.append(attribution[model_input == 0].mean())
    assert np.mean(on_ink) > np.mean(on_paper) + 0.2, (np.mean(on_ink), np.mean(on_paper))
    assert np.mean(np.array(on_ink) > np.array(on_paper)) > 0.9


def test_grey_image_puts_channels_side_by_side_on_one_scale():
    maps = np.zeros((2, 3, 10), np.float32)
    maps[..., 9] = -2  # the last channel: second row, second column
    maps[0, 0, 1] = 1
    png, columns, scale, signed = grey_image(maps)
    pixels = np.asarray(Image.open(io.BytesIO(png)))
    assert (columns, scale, signed) == (8, 2.0, True) and pixels.shape == (2 * 2, 8 * 3)
    assert (pixels[2:4, 3:6] == 0).all()  # -scale is black
    assert pixels[0, 3] == 191 and pixels[1, 3] == 128  # +1 of 2 above mid-grey; 0 is mid-grey
    assert (pixels[2:4, 6:] == 0).all()  # the row's unused places
    units, columns, scale, signed = grey_image(np.array([0, 1, 4], np.float32))
    assert (
        np.asarray(Image.open(io.BytesIO(units))).tolist() == [[0, 64, 255]] and not signed and columns == 3
    )


def test_explains_a_drawn_seven_layer_by_layer(client, explainer):
    answer = post(client).json()
    predicted = client.post(
        "/predict", content=CANVAS.read_bytes(), headers={"content-type": "image/png"}
    ).json()
    for field in ("digit", "is_digit", "model_version"):
        assert answer[field] == predicted[field]
    assert answer["probabilities"] == pytest.approx(predicted["probabilities"], abs=1e-5)
    assert answer["digit"] == 7 and len(answer["input"]) == 28
    assert [layer["name"] for layer in answer["layers"]] == [layer.name for layer in CARD.layers]

    model_input = explainer.explain(CANVAS.read_bytes()).model_input  # unrounded
    assert np.array(answer["input"]) == pytest.approx(model_input, abs=1e-3)
    activations = LayersRunner(MODELS / LAYERS_FILE).run(model_input)
    for layer in answer["layers"]:
        pixels, values = png_pixels(layer["image"]), activations[layer["name"]]
        assert layer["scale"] == pytest.approx(np.abs(values).max(), rel=1e-3)
        if len(layer["shape"]) == 3:
            height, width, channels = layer["shape"]
            assert pixels.shape == (-(-channels // layer["columns"]) * height, layer["columns"] * width)
            last = channels - 1  # its tile: row last // columns, column last % columns
            row, column = divmod(last, layer["columns"])
            tile = pixels[row * height : (row + 1) * height, column * width : (column + 1) * width].astype(
                float
            )
            expected = values[..., last] / layer["scale"]
            expected = 127.5 + 127.5 * expected if layer["signed"] else 255 * expected
            assert np.abs(tile - expected).max() <= 1.5, layer["name"]
        else:
            assert pixels.shape == (1, layer["shape"][0])
            assert np.abs(np.array(layer["values"]) - values).max() <= 1e-4
    attribution = np.array(answer["attribution"])
    assert attribution.shape == (28, 28) and np.abs(attribution).max() == pytest.approx(1)
    assert answer["attribution_scale"] > 0
    assert attribution[model_input > 0.5].mean() > attribution[model_input == 0].mean()


def test_payload_is_small(client):
    assert len(post(client).content) < 150_000


def test_three_input_modes_give_the_same_explanation(client):
    data = CANVAS.read_bytes()
    as_file = client.post("/explain", files={"file": ("seven.png", data, "image/png")}).json()
    as_json = client.post("/explain", json={"image": base64.b64encode(data).decode()}).json()
    assert as_file == as_json == post(client).json()


@pytest.mark.parametrize(
    "kwargs, status, detail, code", [case for case in BAD_INPUTS if "params" not in case[0]]
)
def test_bad_input_gets_what_predict_answers(client, kwargs, status, detail, code):
    response = client.post("/explain", **kwargs)
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"] and response.json()["code"] == code


def test_decompression_bomb_is_413(client):
    bomb = encode(draw(1, size=(30000, 30000), mode="1", ink=1, paper=0))
    assert post(client, bomb).status_code == 413


def test_without_a_model_or_its_layers_model_the_service_says_so(tmp_path):
    with TestClient(create_app(Settings(model_dir=tmp_path))) as empty:
        assert post(empty).json() == {"detail": "model digits not loaded", "code": "model_not_loaded"}
    (tmp_path / "digits").mkdir()
    for name in ("digits.tflite", "model_card.json"):
        shutil.copy(MODELS / name, tmp_path / "digits" / name)
    with TestClient(create_app(Settings(model_dir=tmp_path))) as no_layers:
        assert no_layers.post(
            "/predict", content=CANVAS.read_bytes(), headers={"content-type": "image/png"}
        ).is_success
        response = post(no_layers)
        assert response.status_code == 503 and response.json()["code"] == "layers_model_not_loaded"
    card = json.loads((MODELS / "model_card.json").read_text())
    del card["layers"]  # a card from before /explain still loads
    (tmp_path / "digits" / "model_card.json").write_text(json.dumps(card))
    shutil.copy(MODELS / LAYERS_FILE, tmp_path / "digits" / LAYERS_FILE)
    with TestClient(create_app(Settings(model_dir=tmp_path))) as old_card:
        assert old_card.get("/model").json()["layers"] is None
        assert post(old_card).json()["code"] == "layers_model_not_loaded"


def test_openapi_documents_explain(client):
    spec = client.get("/openapi.json").json()
    route = spec["paths"]["/explain"]["post"]
    assert {"multipart/form-data", "application/json", "image/png"} <= set(route["requestBody"]["content"])
    assert route["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Explanation")
    assert {"400", "413", "415", "422", "503"} <= set(route["responses"])
    schemas = spec["components"]["schemas"]
    assert {"layers", "attribution", "digit", "probabilities", "is_digit"} <= set(
        schemas["Explanation"]["properties"]
    )
    assert {"image", "kind", "shape", "scale", "signed"} <= set(schemas["LayerActivations"]["properties"])
    assert client.get("/docs").status_code == 200
