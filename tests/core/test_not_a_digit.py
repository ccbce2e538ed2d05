"""Not a digit: the API's answer, the real-world misses it fixed, the threshold's
semantics, and the non-digit data training is given."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.core.inference import NOT_A_DIGIT, read_digits
from support.drawing import draw, encode, graph_paper
from support.paths import MNIST_DIR, ROOT, needs_mnist
from training import drawn, negatives
from training.data import DataError, load_fashion
from training.evaluate import Scores, sweep


def read(client, image: Image.Image) -> dict:
    response = client.post("/predict", content=encode(image), headers={"content-type": "image/png"})
    assert response.status_code == 200, response.text
    return response.json()


def filled_square() -> Image.Image:
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((80, 80, 200, 200), fill=(0, 0, 0, 255))
    return image


def forty_two() -> Image.Image:
    return Image.alpha_composite(draw(4, box=(0.05, 0.25, 0.45, 0.75)), draw(2, box=(0.55, 0.25, 0.95, 0.75)))


@pytest.mark.parametrize(
    "name, image",
    [
        ("letter A", draw("A")),
        ("scribble", draw("scribble")),
        ("smiley", draw("smiley", width=12)),
        ("dot", draw("dot", width=120)),
        ("filled square", filled_square()),
        ("42", forty_two()),
    ],
)
def test_what_people_try_first_is_not_a_digit(client, name, image):
    answer = read(client, image)
    assert answer["is_digit"] is False, (name, answer)
    assert answer["not_digit_score"] >= client.get("/model").json()["not_a_digit"]["threshold"]
    # The best guess is still there, for clients that rely on the ten probabilities.
    assert 0 <= answer["digit"] <= 9 and sum(answer["probabilities"]) == pytest.approx(1, abs=1e-6)


@pytest.mark.parametrize("digit", [0, 1, 2, 4, 7])
def test_drawn_digits_stay_digits(client, digit):
    answer = read(client, draw(digit))
    assert answer["is_digit"] is True and answer["digit"] == digit
    assert answer["not_digit_score"] < 0.5


def test_a_european_one_with_a_long_flag_is_a_one(client):
    """A real-world miss: read as 7 by the first model."""
    answer = read(client, draw("1 with flag"))
    assert answer["is_digit"] is True and answer["digit"] == 1


def test_a_digit_photographed_on_graph_paper_is_read_without_the_grid(client):
    """A real-world miss: the grid lines were cropped with the digit."""
    answer = read(client, graph_paper(4))
    assert answer["is_digit"] is True and answer["digit"] == 4


def test_the_model_card_documents_the_threshold_and_rejection(client):
    card = client.get("/model").json()
    assert 0 < card["not_a_digit"]["threshold"] < 1 and "0.5" in card["not_a_digit"]["threshold_choice"]
    assert all(
        0 <= card["metrics"][name]["false_rejection"] <= 1 for name in ("mnist_test", "usps", "semeion")
    )
    assert any(name.startswith("font:") for name in card["metrics"]["negatives"])
    assert any(name.startswith("doodle:") for name in card["metrics"]["negatives"])


def test_threshold_decides_and_digit_probabilities_are_renormalised():
    outputs = np.array(
        [[0.6, 0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0.2, 0.1], [0.2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 0.5]]
    )  # 0-9, not a digit, several digits
    digits, score, is_digit = read_digits(outputs, threshold=0.5)
    np.testing.assert_allclose(digits.sum(axis=1), 1)
    np.testing.assert_allclose(digits[0, :2], [6 / 7, 1 / 7])
    np.testing.assert_allclose(score, [0.3, 0.8])
    assert is_digit.tolist() == [True, False]
    assert read_digits(outputs, threshold=0.25)[2].tolist() == [False, False]
    assert read_digits(outputs, threshold=0.9)[2].tolist() == [True, True]


def test_a_rejected_digit_counts_as_an_error():
    outputs = np.zeros((4, 12))
    outputs[[0, 1, 2, 3], [3, 5, NOT_A_DIGIT, 3]] = 1  # right, wrong, rejected, right
    scores = Scores.of(outputs, np.array([3, 3, 3, 3]), threshold=0.5)
    assert scores.accuracy == 0.5 and scores.false_rejection == 0.25
    assert scores.confusion[3][NOT_A_DIGIT] == 1 and scores.confusion[3][3] == 2


def test_sweep_trades_false_rejection_for_rejection():
    rng = np.random.default_rng(0)
    rows = sweep({"mnist_test": rng.beta(1, 20, 500), "doodle:x": rng.beta(20, 1, 500)}, ["doodle:x"])
    rejection = [row["negatives_rejected_mean"] for row in rows]
    false_rejection = [row["mnist_test_false_rejection"] for row in rows]
    assert rejection == sorted(rejection, reverse=True) and false_rejection == sorted(
        false_rejection, reverse=True
    )


def test_heldout_kinds_are_never_trained_on():
    assert not set(negatives.HELDOUT_FONTS) & set(negatives.TRAIN_FONTS)
    assert set(negatives.HELDOUT_DOODLES) < set(drawn.DOODLES)
    trained_files = {p for files in negatives.font_files(negatives.TRAIN_FONTS).values() for p in files}
    heldout_files = {p for files in negatives.font_files(negatives.HELDOUT_FONTS).values() for p in files}
    assert trained_files and heldout_files and not trained_files & heldout_files


def test_characters_written_like_digits_are_never_negatives():
    for character in "Oo0Il1|Zz2Ss5B8Gb6gq9λΛ^CcDUupf~":
        assert character not in negatives.CHARACTERS


def test_drawn_negatives_are_model_inputs():
    rng = np.random.default_rng(0)
    images = negatives.doodles(list(drawn.DOODLES), 2 * len(drawn.DOODLES), rng)
    fonts = negatives.font_files({"dejavu": negatives.TRAIN_FONTS["dejavu"]})["dejavu"]
    images += negatives.characters([fonts], 20, rng)
    from app.core.tasks import DIGITS

    inputs = DIGITS.inputs(images)
    assert inputs.shape == (len(images), 28, 28) and inputs.dtype == np.float32
    assert np.allclose(inputs.max(axis=(1, 2)), 1)


def test_missing_fonts_or_fashion_mnist_is_one_clear_error(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load_fashion(tmp_path / "nowhere")
    monkeypatch.setattr(negatives, "FONT_DIR", tmp_path)
    with pytest.raises(DataError, match="apt-get install fonts-"):
        negatives.font_files(negatives.TRAIN_FONTS)


@needs_mnist()
def test_train_command_without_fashion_mnist_says_so_in_one_line(tmp_path):
    command = [
        sys.executable,
        "-m",
        "training.train",
        "--data-dir",
        str(MNIST_DIR),
        "--fashion-dir",
        str(tmp_path / "nowhere"),
        "--out",
        str(tmp_path / "out"),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "dataset-fashion-mnist" in result.stderr


def test_makefile_installs_every_package_training_needs():
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = next(line for line in makefile.splitlines() if line.startswith("TRAIN_PACKAGES :="))
    assert set(line.split(":=")[1].split()) == {"dataset-fashion-mnist", *negatives.FONT_PACKAGES.split()}


def test_the_score_stays_a_probability_when_float32_overshoots():
    outputs = np.zeros((1, 12), np.float32)
    outputs[0, 10], outputs[0, 11] = np.float32(0.6000001), np.float32(0.4000001)  # sums past 1 in float32
    assert read_digits(outputs, threshold=0.5)[1][0] <= 1
