"""Training end to end on a small slice (marked `training`: each run takes ~1 min on 2 cores),
and the command line that chooses a recipe."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from app.core.explain import LayersRunner
from app.core.strip import NumberReader
from support.paths import MNIST_DIR, ROOT, needs_mnist
from training.fitting import read_history
from training.networks import NETWORKS
from training.recipes import RECIPES
from training.train import parse_args

PLOTS = ["learning_curves.png", "confusion_matrix.png", "not_a_digit_scores.png"]
FLAGS = {
    "recipe",
    "data_dir",
    "out",
    "epochs",
    "batch_size",
    "learning_rate",
    "seed",
    "val_split",
    "patience",
    "no_augment",
    "fashion_dir",
    "negatives",
    "paper",
    "european_digits",
    "handwritten",
    "handwritten_repeat",
    "threshold",
    "usps",
    "semeion",
    "quick",
}
# What TensorFlow prints unless it is quieted: absl's log lines ("E0000 00:00:17... cuda_platform.cc:52]
# failed call to cuInit"), their preamble, and the CPU and oneDNN notices.
NOISE = re.compile(
    r"^[IWEF]\d{4} |cuInit|oneDNN|absl::InitializeLog|cuda drivers|XNNPACK|cpu_feature_guard", re.MULTILINE
)


def train_command(out: Path, *flags: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "training.train",
        "--quick",
        "--data-dir",
        str(MNIST_DIR),
        "--out",
        str(out),
        *flags,
    ]


def train(out: Path, *flags: str) -> subprocess.CompletedProcess:
    # Without TF_CPP_MIN_LOG_LEVEL: the command itself must quiet TensorFlow.
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        train_command(out, *flags),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def weights(path: Path) -> list[np.ndarray]:
    import keras

    return keras.saving.load_model(path, compile=False).get_weights()


# With validation, so early stopping is in the run. On MNIST's digits alone: non-digits and
# photographs take each run longer to make and to train on, and change nothing that is resumed.
RESUMED = ["--epochs", "3", "--val-split", "0.1", "--negatives", "0", "--paper", "0"]


def interrupted_and_run_again(out: Path) -> subprocess.CompletedProcess:
    """A run killed once its first epoch is backed up, then the same command again."""
    process = subprocess.Popen(
        train_command(out, *RESUMED), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # Keras writes this after the epoch's weights: once it is whole, so is the backup (it
    # exists, empty, for a moment before: a kill then leaves a backup the run cannot resume).
    saved = out / ".training" / "backup" / "training_metadata.json"
    deadline = time.monotonic() + 480  # the module's other runs share the cores
    while (
        not (saved.exists() and saved.stat().st_size)
        and time.monotonic() < deadline
        and process.poll() is None
    ):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert saved.exists(), "no backup was written after the first epoch"
    return train(out, *RESUMED)


# The module's training runs, by the fixture that reads each: the digit CNN, the same command
# again (the same seed must give the same weights), the dense network, and a run interrupted.
RUNS: dict[str, Callable[[Path], subprocess.CompletedProcess]] = {
    "digits_run": train,
    "digits_rerun": train,
    "dense_run": lambda out: train(out, "--recipe", "dense"),
    "numbers_run": lambda out: train(out, "--recipe", "numbers"),
    "resumed_run": interrupted_and_run_again,
}
Run = tuple[Path, "Future[subprocess.CompletedProcess]"]


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Run]]:
    """Every run that the module's selected tests read, all started at once (each waits for
    its command in a thread): on 2 cores, one run's single-threaded stretches (loading
    TensorFlow, drawing non-digits, converting to LiteRT) overlap another's."""
    selected = {
        name for item in request.session.items if item.path == request.path for name in item.fixturenames
    }
    with ThreadPoolExecutor(len(RUNS)) as pool:
        started = {}
        for name, run in RUNS.items():
            if name in selected:
                out = tmp_path_factory.mktemp(name)
                started[name] = (out, pool.submit(run, out))
        yield started


@pytest.fixture(scope="module")
def digits_run(runs: dict[str, Run]) -> tuple[Path, subprocess.CompletedProcess]:
    out, run = runs["digits_run"]
    return out, run.result()


@pytest.fixture(scope="module")
def digits_rerun(runs: dict[str, Run]) -> tuple[Path, subprocess.CompletedProcess]:
    out, run = runs["digits_rerun"]
    return out, run.result()


@pytest.fixture(scope="module")
def dense_run(runs: dict[str, Run]) -> tuple[Path, subprocess.CompletedProcess]:
    out, run = runs["dense_run"]
    return out, run.result()


@pytest.fixture(scope="module")
def numbers_run(runs: dict[str, Run]) -> tuple[Path, subprocess.CompletedProcess]:
    out, run = runs["numbers_run"]
    return out, run.result()


@pytest.fixture(scope="module")
def resumed_run(runs: dict[str, Run]) -> Run:
    return runs["resumed_run"]


@pytest.mark.training
@needs_mnist()
def test_quick_run_writes_every_output_and_records_every_flag(digits_run):
    out, result = digits_run
    assert "mnist_test:" in result.stdout and "LiteRT vs Keras" in result.stdout
    for name in [
        "digits.keras",
        "digits.tflite",
        "digits_layers.tflite",
        "model_card.json",
        "history.csv",
        *PLOTS,
    ]:
        assert (out / name).stat().st_size > 0, name
    assert not (out / ".training").exists()
    card = json.loads((out / "model_card.json").read_text())
    assert card["name"] == "digits" and card["title"] == "CNN" and card["task"] == "digits"
    assert set(card["files"]) == {"digits.keras", "digits.tflite", "digits_layers.tflite"}
    training = card["training"]
    assert set(training) >= FLAGS, FLAGS - set(training)
    assert training["recipe"] == "digits" and training["seed"] == 1234 and training["quick"] is True
    assert training["epochs"] == 1 and training["data_dir"] == str(MNIST_DIR) and training["out"] == str(out)
    assert training["train_digits"] == 2048 and training["validation_images"] == 0
    assert training["train_non_digits"] > 300 and card["output"]["shape"] == [12]
    assert card["not_a_digit"]["threshold"] == 0.5 and card["metrics"]["negatives"]
    assert card["litert_max_abs_difference"] < 1e-4
    assert card["data"]["files"]["train-labels-idx1-ubyte.gz"]["md5"] == "d53e105ee54ea40749a09fcbcd1e9432"
    assert {"tensorflow", "keras", "numpy", "pillow", "python"} <= set(card["versions"])
    assert card["metrics"]["usps"]["images"] == 2007 and card["metrics"]["semeion"]["images"] == 1593


@pytest.mark.training
@needs_mnist()
def test_quick_run_says_it_is_a_smoke_test_and_prints_no_tensorflow_noise(digits_run):
    _, result = digits_run
    lines = result.stdout.strip().splitlines()
    for line in (lines[0], lines[-1]):
        assert line.startswith("SMOKE TEST (--quick)") and "meant to be poor" in line, line
    noise = NOISE.findall(result.stdout + result.stderr)
    assert not noise, (noise, result.stderr[-2000:])


@pytest.mark.training
@needs_mnist()
def test_the_same_seed_gives_the_same_weights(digits_run, digits_rerun):
    (first, _), (second, _) = digits_run, digits_rerun
    assert first != second
    for a, b in zip(weights(first / "digits.keras"), weights(second / "digits.keras"), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.training
@needs_mnist()
def test_dense_recipe_writes_a_digit_model_with_its_layers(dense_run):
    out, _ = dense_run
    for name in [
        "dense.keras",
        "dense.tflite",
        "dense_layers.tflite",
        "model_card.json",
        "history.csv",
        *PLOTS,
    ]:
        assert (out / name).stat().st_size > 0, name
    card = json.loads((out / "model_card.json").read_text())
    assert card["name"] == "dense" and card["title"] == "dense network" and card["task"] == "digits"
    assert card["training"]["recipe"] == "dense" and card["output"]["shape"] == [12]
    assert set(card["files"]) == {"dense.keras", "dense.tflite", "dense_layers.tflite"}
    assert [layer["kind"] for layer in card["layers"]] == ["flatten", "dense", "dropout", "softmax"]
    assert card["parameters"] == 28 * 28 * 512 + 512 + 512 * 12 + 12
    assert set(card["metrics"]) >= {"mnist_test", "usps", "semeion", "negatives", "sweep"}
    assert card["not_a_digit"]["heldout_sources"] == sorted(card["metrics"]["negatives"])
    activations = LayersRunner(out / "dense_layers.tflite").run(np.zeros((28, 28), np.float32))
    assert activations["probabilities"].shape[-1] == 12


@pytest.mark.training
@needs_mnist()
def test_numbers_recipe_writes_a_strip_reader_with_its_figures(numbers_run):
    out, _ = numbers_run
    for name in ["numbers.keras", "numbers.tflite", "model_card.json", "history.csv", "learning_curves.png"]:
        assert (out / name).stat().st_size > 0, name
    card = json.loads((out / "model_card.json").read_text())
    assert card["name"] == "numbers" and card["task"] == "numbers" and card["not_a_digit"] is None
    assert card["input"]["shape"] == [28, 224, 1] and card["output"]["shape"] == [56, 11]
    assert set(card["metrics"]["sets"]) == {
        "mnist_test:close",
        "mnist_test:apart",
        "mnist_test:touching",
        "mnist_test:paper",
    }
    assert set(card["metrics"]["not_numbers"]) == {"handwritten:heldout_kinds"}
    assert card["litert_max_abs_difference"] < 1e-4
    reader = NumberReader(out / "numbers.tflite")
    probabilities = reader.predict(np.zeros((2, 28, 224), np.float32))
    assert probabilities.shape == (2, 56, 11) and np.allclose(probabilities.sum(axis=-1), 1, atol=1e-4)


@pytest.mark.training
@needs_mnist()
def test_interrupted_run_resumes_where_it_stopped(resumed_run):
    out, run = resumed_run
    run.result()  # killed after its first epoch, then run again
    history = np.genfromtxt(out / "history.csv", delimiter=",", names=True)
    assert history["epoch"].tolist() == [0, 1, 2]  # a restart from scratch would log epoch 0 twice
    assert not np.isnan(history["val_loss"]).any()


def test_history_leaves_out_validation_columns_keras_left_empty(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,accuracy,loss,val_accuracy,val_loss\n0,0.9,0.3,NA,NA\n1,0.95,0.2,NA,NA\n")
    assert read_history(path) == {"accuracy": [0.9, 0.95], "loss": [0.3, 0.2]}


@pytest.mark.parametrize(
    ("flags", "recipe", "out", "epochs"),
    [
        ([], "digits", Path("models/digits"), 16),
        (["--recipe", "dense"], "dense", Path("models/dense"), RECIPES["dense"].epochs),
        (["--recipe", "fashion"], "fashion", Path("models/fashion"), 15),
        (["--recipe", "dense", "--quick", "--out", "/tmp/x"], "dense", Path("/tmp/x"), 1),
    ],
)
def test_each_recipe_has_its_folder_and_epochs(flags, recipe, out, epochs):
    config = parse_args(flags)
    assert (config.recipe, config.out, config.epochs) == (recipe, out, epochs)


def test_the_card_records_the_settings_as_the_shipped_cards_do():
    """The same keys, in the same order, with the same values, but for the paths to data
    beside the checkout, which were where it was trained."""
    shipped = json.loads((ROOT / "models" / "digits" / "model_card.json").read_text())["training"]
    recorded = parse_args(["--data-dir", shipped["data_dir"], "--out", shipped["out"]]).recorded()
    assert list(recorded) == list(shipped)[: len(recorded)]
    beside = {"handwritten", "usps", "semeion"}
    assert {k: v for k, v in recorded.items() if k not in beside} == {
        k: shipped[k] for k in recorded if k not in beside
    }


def test_recipes_name_their_files_and_tasks():
    assert {name: (r.stem, r.task.name, r.explain) for name, r in RECIPES.items()} == {
        "digits": ("digits", "digits", True),
        "dense": ("dense", "digits", True),
        "fashion": ("fashion", "fashion", False),
        "numbers": ("numbers", "numbers", False),
    }
    assert set(NETWORKS) == set(RECIPES)
