"""Digits on real paper: each case seen in photos and scans people sent, made here on
purpose. The preprocessing must give (nearly) what the same digit drawn on a clean
canvas gives, and the service must read it."""

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageFilter

from app.core.preprocess import to_model_input
from support.drawing import draw, encode

SIZE = 200  # px: a phone's crop of one written digit


def pencil(digit: int | str, darkness: float = 1.0, width: int = 9) -> np.ndarray:
    """The digit's ink in [0, 1] (1 is full ink), drawn in the middle of SIZE x SIZE."""
    image = draw(digit, size=(SIZE, SIZE), box=(0.3, 0.2, 0.7, 0.8), width=width, ink=255, paper=0, mode="L")
    return darkness * np.asarray(image.filter(ImageFilter.GaussianBlur(1)), np.float32) / 255


def photo(
    ink: np.ndarray,
    contrast: float = 150,
    paper: float = 225,
    extra: Callable[[np.ndarray], None] | None = None,
) -> Image.Image:
    """Grey paper with a little grain and light falling off across it, the ink on top, JPEG."""
    rng = np.random.default_rng(0)
    xx = np.mgrid[:SIZE, :SIZE][1].astype(np.float32)
    grey = paper - 25 * xx / SIZE + rng.normal(0, 3, (SIZE, SIZE))
    if extra is not None:
        extra(grey)
    grey -= contrast * ink
    image = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L")
    return Image.open(io.BytesIO(encode(image, "JPEG", quality=80)))


def clean(digit: int | str, width: int = 9) -> np.ndarray:
    """The same digit on a clean canvas."""
    return to_model_input(Image.fromarray((255 - 255 * pencil(digit, width=width)).astype(np.uint8), "L"))


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two model inputs' ink."""
    a, b = a > 0.3, b > 0.3
    return float((a & b).sum() / max((a | b).sum(), 1))


def read(client, image: Image.Image) -> dict:
    return client.post("/read", content=encode(image, "PNG"), headers={"content-type": "image/png"}).json()


def faint_top(ink: np.ndarray) -> np.ndarray:
    """Pencil pressed lightly at the top: the upper half at a third of the lower's darkness."""
    faded = ink.copy()
    faded[: SIZE // 2] *= 0.35
    return faded


def underline(grey: np.ndarray) -> None:
    grey[int(0.85 * SIZE) : int(0.85 * SIZE) + 3, int(0.2 * SIZE) : int(0.8 * SIZE)] -= 140


def specks(grey: np.ndarray) -> None:
    for y, x in ((8, 8), (SIZE - 12, 15), (20, SIZE - 10)):
        grey[y : y + 3, x : x + 3] -= 150


def partial_grid(grey: np.ndarray) -> None:
    """Squared paper whose lines cover only the right part of the photo."""
    for at in range(10, SIZE, 18):
        grey[at, SIZE // 3 :] -= 40
        if at > SIZE // 3:
            grey[:, at] -= 40


def security_print(grey: np.ndarray) -> None:
    """Fine wavy lines, fainter and thinner than a pen's, as on a cheque."""
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
    grey -= 30 * (np.sin(2 * np.pi * (xx + 4 * np.sin(yy / 9)) / 4) > 0.3)


CASES = {
    "faint pencil": (0, lambda: photo(faint_top(pencil(0)), contrast=110)),
    "underline": (0, lambda: photo(pencil(0), extra=underline)),
    "specks far from the digit": (4, lambda: photo(pencil(4), extra=specks)),
    "partial grid": (4, lambda: photo(pencil(4), extra=partial_grid)),
    "patterned background": (5, lambda: photo(pencil(5), extra=security_print)),
}


@pytest.mark.parametrize("case", CASES)
def test_real_paper_gives_what_a_canvas_gives(case):
    digit, make = CASES[case]
    assert agreement(to_model_input(make()), clean(digit)) >= 0.75


@pytest.mark.parametrize("case", CASES)
def test_real_paper_is_read(client, case):
    digit, make = CASES[case]
    assert read(client, make())["number"] == str(digit)


def test_a_long_up_stroke_one_is_read(client):
    """A 1 whose flag runs from the foot of the line up to its top, like an inverted V."""
    image = draw("1 long up-stroke", ink=0, paper=255, mode="L")
    assert read(client, image)["number"] == "1"


@pytest.mark.parametrize("shape", ["t-shirt", "house", "scribble", "m"])
def test_a_doodle_is_not_a_number(client, shape):
    answer = read(client, draw(shape, ink=0, paper=255, mode="L"))
    assert answer["number"] is None and answer["reason"]
