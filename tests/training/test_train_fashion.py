"""The clothes model's training end to end on a small slice (marked `training`: ~1 min a run)."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from app.core.card import ClassifierMetrics, ModelCard
from app.core.tasks import FASHION_LABELS
from support.paths import ROOT
from training.negatives import FASHION_DIR

pytestmark = [
    pytest.mark.training,
    pytest.mark.skipif(not FASHION_DIR.is_dir(), reason=f"Fashion-MNIST not found in {FASHION_DIR}"),
]
OUTPUTS = [
    "fashion.keras",
    "fashion.tflite",
    "model_card.json",
    "history.csv",
    "learning_curves.png",
    "confusion_matrix.png",
]


def train(out: Path, *recipe: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "training.train", *recipe, "--quick", "--out", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def weights(out: Path) -> list[np.ndarray]:
    import keras

    return keras.saving.load_model(out / "fashion.keras", compile=False).get_weights()


def test_quick_run_writes_every_output_and_is_reproducible(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    # Both at once: on 2 cores, one run's single-threaded stretches overlap the other's.
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(train, out, "--recipe", "fashion") for out in (first, second)]
        result, _ = (run.result() for run in runs)
    assert "fashion_test:" in result.stdout and "LiteRT vs Keras" in result.stdout
    assert "SMOKE TEST (--quick)" in result.stdout.splitlines()[-1]
    for name in OUTPUTS:
        assert (first / name).stat().st_size > 0, name
    assert not (first / ".training").exists() and not (first / "fashion_layers.tflite").exists()
    card = ModelCard.read(first / "model_card.json")
    assert card.name == "fashion" and card.title == "CNN"
    assert card.task == "fashion" and card.labels == list(FASHION_LABELS) and card.not_a_digit is None
    assert (
        card.output.shape == [10] and card.training["quick"] is True and card.training["train_images"] == 2048
    )
    assert card.training["recipe"] == "fashion" and card.training["label_smoothing"] == 0.1
    assert set(card.files) == {"fashion.keras", "fashion.tflite"} and card.layers is None
    assert isinstance(card.metrics, ClassifierMetrics)
    test = card.metrics.test
    assert test.images == 1000 and len(test.per_class) == 10 and np.sum(test.confusion) == 1000
    assert card.litert_max_abs_difference < 1e-4
    assert card.data["files"]["train-labels-idx1-ubyte.gz"]["count"] == 60000

    for a, b in zip(weights(first), weights(second), strict=True):
        np.testing.assert_array_equal(a, b)
