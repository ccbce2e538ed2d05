"""Several models at once: ?model= picks one, answers name their class, the digits'
answers are what they were, and the Open Inference Protocol serves each model."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from support.drawing import draw, encode
from training.data import DataError, load_fashion
from training.negatives import FASHION_DIR

SEVEN = encode(draw(7))


@pytest.fixture(scope="module")
def fashion_test() -> tuple[np.ndarray, np.ndarray]:
    try:
        data = load_fashion(FASHION_DIR)
    except DataError as exc:
        pytest.skip(str(exc))
    return data.x_test[:60], data.y_test[:60]


def predict(client, data: bytes, **params):
    return client.post("/predict", content=data, headers={"content-type": "image/png"}, params=params)


def test_digits_are_the_default_and_unchanged(client):
    default, named = predict(client, SEVEN).json(), predict(client, SEVEN, model="digits").json()
    assert default == named
    assert default["digit"] == 7 and default["label"] == "7" and default["model"] == "digits"


def test_clothes_are_read_by_name(client, fashion_test):
    labels = client.get("/model", params={"model": "fashion"}).json()["labels"]
    images, truth = fashion_test
    answers = [predict(client, encode(Image.fromarray(image)), model="fashion").json() for image in images]
    assert all(
        a["model"] == "fashion" and a["labels"] == labels and a["label"] == labels[a["index"]]
        for a in answers
    )
    assert all("digit" not in a and "is_digit" not in a for a in answers)
    right = np.mean([a["index"] == t for a, t in zip(answers, truth, strict=True)])
    assert right >= 0.85, right


def test_a_photo_of_clothes_on_white_reads_as_the_data_sets_own_image(client, fashion_test):
    """Dark on a light background, large, in colour, as a product photo: preprocessing
    brings it back to Fashion-MNIST's light object on black."""
    images, _ = fashion_test
    same = 0
    for image in images[:20]:
        photo = Image.fromarray(255 - image).resize((420, 420), Image.Resampling.BICUBIC).convert("RGB")
        framed = Image.new("RGB", (700, 560), (250, 250, 248))
        framed.paste(photo, (130, 70))
        ours = predict(client, encode(framed, "JPEG", quality=90), model="fashion").json()
        theirs = predict(client, encode(Image.fromarray(image)), model="fashion").json()
        same += ours["label"] == theirs["label"]
    assert same >= 17, same


def test_each_model_has_its_card(client):
    digits, fashion = client.get("/model").json(), client.get("/model", params={"model": "fashion"}).json()
    assert digits["task"] == "digits" and digits["labels"] == [str(d) for d in range(10)]
    assert (
        fashion["task"] == "fashion"
        and "sneaker" in fashion["labels"]
        and fashion["version"] != digits["version"]
    )
    assert client.get("/ready").json()["models"] == {
        "digits": digits["version"],
        "fashion": fashion["version"],
        "dense": client.get("/model", params={"model": "dense"}).json()["version"],
    }


@pytest.mark.parametrize("path", ["/predict", "/model"])
def test_unknown_model_is_a_404(client, path):
    response = client.request(
        "POST" if path == "/predict" else "GET",
        path,
        params={"model": "cars"},
        content=SEVEN if path == "/predict" else None,
        headers={"content-type": "image/png"},
    )
    assert response.status_code == 404 and response.json()["code"] == "unknown_model"


def test_the_protocol_serves_each_model(client, fashion_test):
    images, _ = fashion_test
    metadata = client.get("/v2/models/fashion").json()
    assert {o["name"] for o in metadata["outputs"]} == {"label", "index", "confidence", "probabilities"}
    answers = [
        predict(client, encode(Image.fromarray(image)), model="fashion", include_input="true").json()
        for image in images[:4]
    ]
    inputs = np.array([a["input"] for a in answers], np.float32)[..., None]  # what /predict's model saw
    request = {
        "inputs": [
            {
                "name": "image",
                "shape": list(inputs.shape),
                "datatype": "FP32",
                "data": inputs.reshape(-1).tolist(),
            }
        ]
    }
    outputs = {
        o["name"]: o["data"] for o in client.post("/v2/models/fashion/infer", json=request).json()["outputs"]
    }
    assert outputs["label"] == [a["label"] for a in answers]
    assert outputs["confidence"] == pytest.approx([a["confidence"] for a in answers], abs=1e-3)
