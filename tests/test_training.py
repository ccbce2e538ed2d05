"""Training end to end on a small slice (marked: each run takes ~20 s)."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from support.paths import MNIST_DIR, ROOT, needs_mnist

pytestmark = [pytest.mark.training, needs_mnist()]
OUTPUTS = ["digitpad.keras", "digitpad.tflite", "model_card.json", "history.csv", "learning_curves.png",
           "confusion_matrix.png", "not_a_digit_scores.png"]


def train_command(out, *flags) -> list[str]:
    return [sys.executable, "-m", "training.train", "--quick", "--data-dir", str(MNIST_DIR), "--out", str(out), *flags]


def train(out, *flags) -> subprocess.CompletedProcess:
    result = subprocess.run(train_command(out, *flags), cwd=ROOT, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def weights(out) -> list[np.ndarray]:
    import keras

    return keras.saving.load_model(out / "digitpad.keras", compile=False).get_weights()


def test_quick_run_writes_every_output_and_is_reproducible(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    result = train(first)
    assert "mnist_test:" in result.stdout and "LiteRT vs Keras" in result.stdout
    for name in OUTPUTS:
        assert (first / name).stat().st_size > 0, name
    assert not (first / ".training").exists()
    card = json.loads((first / "model_card.json").read_text())
    assert card["training"]["seed"] == 1234 and card["training"]["quick"] is True
    assert card["training"]["train_digits"] == 2048 and card["training"]["validation_images"] == 0
    assert card["training"]["train_non_digits"] > 300 and card["output"]["shape"] == [12]
    assert card["not_a_digit"]["threshold"] == 0.5 and card["metrics"]["negatives"]
    assert card["litert_max_abs_difference"] < 1e-4
    assert card["data"]["files"]["train-labels-idx1-ubyte.gz"]["md5"] == "d53e105ee54ea40749a09fcbcd1e9432"
    assert {"tensorflow", "keras", "numpy", "pillow", "python"} <= set(card["versions"])
    assert card["metrics"]["usps"]["images"] == 2007 and card["metrics"]["semeion"]["images"] == 1593

    train(second)
    for a, b in zip(weights(first), weights(second), strict=True):
        np.testing.assert_array_equal(a, b)


def test_interrupted_run_resumes_where_it_stopped(tmp_path):
    flags = ["--epochs", "3", "--val-split", "0.1"]  # with validation, so early stopping is in the run
    process = subprocess.Popen(train_command(tmp_path, *flags), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Keras writes this after the epoch's weights: from then on the backup is whole.
    saved = tmp_path / ".training" / "backup" / "training_metadata.json"
    deadline = time.monotonic() + 240
    while not saved.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert saved.exists(), "no backup was written after the first epoch"

    train(tmp_path, *flags)
    history = np.genfromtxt(tmp_path / "history.csv", delimiter=",", names=True)
    assert history["epoch"].tolist() == [0, 1, 2]  # a restart from scratch would log epoch 0 twice
    assert not np.isnan(history["val_loss"]).any()


def test_history_leaves_out_validation_columns_keras_left_empty(tmp_path):
    from training.train import _read_history

    path = tmp_path / "history.csv"
    path.write_text("epoch,accuracy,loss,val_accuracy,val_loss\n0,0.9,0.3,NA,NA\n1,0.95,0.2,NA,NA\n")
    assert _read_history(path) == {"accuracy": [0.9, 0.95], "loss": [0.3, 0.2]}
