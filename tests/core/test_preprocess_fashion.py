"""Clothes through `fashion_input`, Fashion-MNIST's own recipe: trimmed, longer side 28,
centred, light on dark."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.core.errors import Refusal
from app.core.preprocess import SIZE, fashion_input
from app.core.tasks import FASHION
from training.data import load_fashion
from training.negatives import FASHION_DIR

# A T-shirt's outline, in a 200 x 160 box: body, then sleeves.
SHIRT = [
    (50, 0),
    (150, 0),
    (200, 40),
    (175, 70),
    (150, 50),
    (150, 160),
    (50, 160),
    (50, 50),
    (25, 70),
    (0, 40),
]
SHIRT_BOX = (200, 160)  # width, height


def photo(size=(480, 320), at=(240, 90), background=242, shade=45, seed=0) -> Image.Image:
    """A dark shirt on a light, slightly noisy background, off-centre, as a JPEG decodes."""
    rng = np.random.default_rng(seed)
    grey = np.clip(rng.normal(background, 2.0, size[::-1]), 0, 255).astype(np.uint8)
    image = Image.fromarray(grey, "L").convert("RGB")
    ImageDraw.Draw(image).polygon(
        [(x + at[0], y + at[1]) for x, y in SHIRT], fill=(shade, shade + 10, shade + 30)
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return Image.open(io.BytesIO(buffer.getvalue()))


def extent(x: np.ndarray, level: float = 0.1) -> tuple[int, int, int, int]:
    """Top, bottom, left and right margins of what is brighter than `level`."""
    rows, cols = np.flatnonzero((x > level).any(axis=1)), np.flatnonzero((x > level).any(axis=0))
    return rows[0], SIZE - 1 - rows[-1], cols[0], SIZE - 1 - cols[-1]


def test_a_photo_comes_out_light_on_dark_trimmed_longer_side_28_and_centred():
    x = fashion_input(photo())
    assert x.shape == (SIZE, SIZE) and x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1
    top, bottom, left, right = extent(x)
    assert left == right == 0  # the shirt is wider than tall: its width is 28
    height = SIZE - top - bottom
    assert height == pytest.approx(SIZE * SHIRT_BOX[1] / SHIRT_BOX[0], abs=1)
    assert abs(top - bottom) <= 1
    # Light object on black: the shirt's body bright, the corners (background) black.
    assert x[14, 14] > 0.7 and x[top + 1, 0] == 0
    assert x[:2, :2].max() == 0 and x[-2:, -2:].max() == 0


def test_polarity_position_and_size_do_not_matter():
    reference = fashion_input(photo())
    negative = Image.fromarray(255 - np.asarray(photo().convert("L")))  # a light shirt on black
    elsewhere = photo(size=(900, 700), at=(40, 500))  # small, in a corner of a big photo
    assert np.abs(fashion_input(negative) - reference).mean() < 0.02
    assert np.abs(fashion_input(elsewhere) - reference).mean() < 0.03


def shirt_on(mode: str, background, shade, margin: int = 20) -> Image.Image:
    image = Image.new(mode, (SHIRT_BOX[0] + 2 * margin, SHIRT_BOX[1] + 2 * margin), background)
    ImageDraw.Draw(image).polygon([(x + margin, y + margin) for x, y in SHIRT], fill=shade)
    return image


def palette_shirt(background: tuple[int, int, int], transparent: bool) -> Image.Image:
    """Index 0 the background, 1 the shirt (grey 40)."""
    image = shirt_on("P", 0, 1)
    image.putpalette([*background, 40, 40, 40])
    if transparent:
        image.info["transparency"] = 0
    return image


@pytest.mark.parametrize(
    "image",
    [
        shirt_on("RGBA", (255, 255, 255, 0), (40, 40, 40, 255)),  # a cut-out photo: transparent background
        shirt_on("RGBA", (0, 0, 0, 0), (40, 40, 40, 255)),  # transparent black, as a canvas exports
        shirt_on("RGBA", (0, 0, 0, 0), (40, 40, 40, 255), margin=4),  # the shirt covers most of the image
        shirt_on("LA", (0, 0), (40, 255)),
        palette_shirt((255, 255, 255), transparent=False),
        palette_shirt((0, 0, 0), transparent=True),  # a GIF's transparent background
    ],
    ids=["rgba-white", "rgba-black", "rgba-mostly-opaque", "la", "palette", "palette-transparent"],
)
def test_image_modes_read_like_grey_on_white(image):
    reference = fashion_input(shirt_on("L", 255, 40))
    assert np.abs(fashion_input(image) - reference).max() < 0.02


def test_16_bit_grey_reads_like_8_bit():
    image = shirt_on("I;16", 65535, 0)
    reference = fashion_input(shirt_on("L", 255, 0))
    assert np.abs(fashion_input(image) - reference).max() < 0.02


def test_a_blank_image_has_no_object():
    with pytest.raises(Refusal) as error:
        fashion_input(Image.new("RGB", (100, 80), (200, 200, 200)))
    assert error.value.code == "no_ink"


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason=f"Fashion-MNIST not found in {FASHION_DIR}")
def test_fashion_mnist_images_come_through_essentially_unchanged():
    images = load_fashion(FASHION_DIR).x_test[:2000]
    difference = np.abs(FASHION.inputs(images) - images / np.float32(255)).reshape(len(images), -1)
    # The rest lose a faint edge to the trim, or a 27-pixel object is scaled to 28.
    assert np.mean(difference.max(axis=1) == 0) > 0.95
    assert difference.mean() < 0.005
