"""The committed model: what the service serves and what the README reports."""

import json

import numpy as np
import pytest

from app.inference import KerasPredictor, LiteRTPredictor
from app.preprocess import to_model_inputs
from support.paths import MNIST_DIR, ROOT, needs_mnist
from training import evaluate
from training.data import load_mnist

MODELS = ROOT / "models"
CARD = json.loads((MODELS / "model_card.json").read_text())


@pytest.fixture(scope="module")
def test_inputs() -> np.ndarray:
    return to_model_inputs(load_mnist(MNIST_DIR).x_test)


@needs_mnist()
def test_litert_export_matches_keras_on_the_whole_test_set(test_inputs):
    keras_probabilities = KerasPredictor(MODELS / "digitpad.keras").predict(test_inputs)
    litert_probabilities = LiteRTPredictor(MODELS / "digitpad.tflite").predict(test_inputs)
    assert np.abs(keras_probabilities - litert_probabilities).max() < 1e-4


@needs_mnist()
def test_evaluate_command_reproduces_the_model_card(capsys):
    assert evaluate.main(["--model", str(MODELS / "digitpad.tflite"), "--data-dir", str(MNIST_DIR), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    for name in ("mnist_test", "usps", "semeion"):
        for figure in ("accuracy", "false_rejection"):
            assert results[name][figure] == pytest.approx(CARD["metrics"][name][figure], abs=1e-9)
    assert results["mnist_test"]["confusion"] == CARD["metrics"]["mnist_test"]["confusion"]
    assert results["negatives"] == CARD["metrics"]["negatives"]
    assert results["sweep"] == CARD["metrics"]["sweep"]


def test_card_reports_the_shipped_figures():
    """The figures the README reports for the shipped model, as floors (a rejected digit
    counts as an error): a retrained model must not ship worse without the README saying so."""
    metrics = CARD["metrics"]
    assert metrics["mnist_test"]["accuracy"] >= 0.9948 and metrics["usps"]["accuracy"] >= 0.98
    assert metrics["semeion"]["accuracy"] >= 0.925
    assert metrics["mnist_test"]["false_rejection"] <= 0.001 and metrics["usps"]["false_rejection"] <= 0.0065
    assert metrics["semeion"]["false_rejection"] <= 0.0296
    assert metrics["negatives_rejected_mean"] >= 0.95 and CARD["not_a_digit"]["threshold"] == metrics["threshold"]
    assert metrics["mnist_test"]["images"] == 10000 and not CARD["training"]["quick"]
    assert metrics["usps"]["images"] == 2007 and metrics["semeion"]["images"] == 1593
    assert CARD["litert_max_abs_difference"] < 1e-4
    assert CARD["data"]["files"]["train-images-idx3-ubyte.gz"]["count"] == 60000
    for path in ("digitpad.keras", "digitpad.tflite", "history.csv", "learning_curves.png", "confusion_matrix.png",
                 "not_a_digit_scores.png"):
        assert (MODELS / path).is_file(), path
