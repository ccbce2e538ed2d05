import contextlib
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageOps

from app.core.decode import decode
from app.core.errors import Code, Refusal
from app.core.limits import Limits
from app.core.preprocess import SIZE, _stroke_width, to_model_input
from support.drawing import draw, encode, framed, graph_paper
from support.paths import MNIST_DIR, needs_mnist

LIMITS = Limits()


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(x.shape)
    return float((x * rows).sum() / x.sum()), float((x * cols).sum() / x.sum())


def close(a: np.ndarray, b: np.ndarray, tolerance: float = 0.06) -> bool:
    return float(np.abs(a - b).mean()) < tolerance


def test_output_is_mnist_shaped():
    x = to_model_input(draw(7))
    assert x.shape == (SIZE, SIZE) and x.dtype == np.float32
    assert x.min() == 0 and x.max() == pytest.approx(1)
    rows, cols = np.nonzero(x > 0)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in (20, 21)  # longer side scaled to the 20 px box
    assert centre_of_mass(x) == pytest.approx((14, 14), abs=0.6)


@pytest.mark.parametrize(
    "variant",
    [
        {"ink": 0, "paper": 255, "mode": "L"},  # dark on light, like paper
        {"ink": 255, "paper": 0, "mode": "L"},  # light on dark
        {"ink": (30, 60, 200), "paper": (235, 230, 215), "mode": "RGB"},  # blue ink on cream paper
        {"ink": (255, 255, 255, 255), "paper": (0, 0, 0, 0), "mode": "RGBA"},  # white on transparent
        {"ink": (0, 0, 0, 255), "paper": (255, 255, 255, 0), "mode": "RGBA"},  # black on transparent white
    ],
)
def test_any_colours_give_the_same_input(variant):
    reference = to_model_input(draw(4))  # black ink on a transparent canvas
    if variant["ink"] == variant["paper"]:
        with pytest.raises(Refusal, match="no ink"):
            to_model_input(draw(4, **variant))
    else:
        assert close(to_model_input(draw(4, **variant)), reference, 0.02)


@pytest.mark.parametrize(
    "size, box, width",
    [
        ((280, 280), (0.0, 0.0, 0.35, 0.4), 20),  # small, in the top-left corner
        ((1000, 600), (0.6, 0.3, 0.8, 0.9), 40),  # wide canvas, right-hand side
        ((64, 64), (0.1, 0.1, 0.9, 0.9), 5),  # tiny canvas
        ((2000, 2000), (0.2, 0.2, 0.8, 0.8), 60),  # phone-photo sized
    ],
)
def test_position_and_canvas_size_do_not_matter(size, box, width):
    assert close(to_model_input(draw(7, size=size, box=box, width=width)), to_model_input(draw(7)))


@pytest.mark.parametrize("width", [2, 5, 60])
def test_thin_and_fat_strokes_come_out_mnist_like(width):
    x = to_model_input(draw(0, size=(560, 560), width=width))
    assert 1.8 <= _stroke_width(x) <= 5.5  # MNIST's strokes: 2.1 to 4.1 px (5th-95th percentile)


@needs_mnist()
def test_mnist_digits_come_back_nearly_unchanged():
    from training.data import load_mnist

    images = load_mnist(MNIST_DIR).x_test[:200]
    processed = np.stack([to_model_input(Image.fromarray(im)) for im in images])
    assert float(np.abs(processed - images / 255).mean()) < 0.03


def test_exif_orientation_is_applied():
    upright = draw(7, mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what the camera wrote
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = encode(stored, "JPEG", exif=exif.tobytes(), quality=90)
    assert close(to_model_input(decode(data, LIMITS)), to_model_input(upright))


def test_sixteen_bit_png():
    eight = draw(1, mode="L", ink=0, paper=255)
    sixteen = Image.fromarray(np.asarray(eight).astype(np.uint16) * 257)
    assert sixteen.mode == "I;16"
    assert close(to_model_input(decode(encode(sixteen), LIMITS)), to_model_input(eight), 0.01)


def test_jpeg_noise_and_grey_paper():
    rng = np.random.default_rng(0)
    grey = np.asarray(draw(7, mode="L", ink=70, paper=190), dtype=np.float64)
    noisy = Image.fromarray(np.clip(grey + rng.normal(0, 8, grey.shape), 0, 255).astype(np.uint8))
    data = encode(noisy, "JPEG", quality=40)
    assert close(to_model_input(decode(data, LIMITS)), to_model_input(draw(7)), 0.05)


def test_blank_images_have_no_ink():
    flat = [
        Image.new("L", (100, 100), 255),
        Image.new("RGBA", (280, 280)),
        Image.new("RGB", (50, 50), (90, 90, 90)),
        Image.new("F", (30, 30), -5.0),
        Image.new("F", (30, 30), 1e9),
        Image.new("I", (30, 30), -70000),
    ]
    for image in flat:
        with pytest.raises(Refusal, match="no ink"):
            to_model_input(image)


@pytest.mark.parametrize(
    "data, error",
    [
        (b"", Code.EMPTY_IMAGE),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, Code.UNDECODABLE_IMAGE),
        (encode(draw(1))[:200], Code.UNDECODABLE_IMAGE),  # truncated PNG
        (b"<svg xmlns='http://www.w3.org/2000/svg'><circle r='5'/></svg>", Code.UNSUPPORTED_IMAGE_TYPE),
        (b"%PDF-1.7\n...", Code.UNSUPPORTED_IMAGE_TYPE),
        (encode(Image.new("L", (16, 16)), "TIFF"), Code.UNSUPPORTED_IMAGE_TYPE),
        (encode(Image.new("L", (7, 40), 255)), Code.TOO_SMALL),  # too small to hold a digit
    ],
)
def test_decode_errors(data, error):
    with pytest.raises(Refusal) as refused:
        decode(data, LIMITS)
    assert refused.value.code is error


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "P", "1", "I;16"])
@pytest.mark.parametrize("size", [(280, 280), (900, 700)])  # libspng's size, then Pillow's
def test_a_png_decodes_to_the_pixels_pillow_reads(mode, size):
    """Small plain PNGs are decoded by libspng (app.core.decode), the rest by Pillow: the same
    image, mode and pixels either way, transparency and EXIF orientation included."""
    drawn = draw(7, size=size, ink=(30, 60, 90, 255), paper=(250, 240, 230, 255)).convert(mode)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: shown turned a quarter
    for data in (
        encode(drawn),
        encode(drawn, exif=exif),
        encode(drawn.convert("RGB"), transparency=(250, 240, 230)),
    ):
        pillow = Image.open(io.BytesIO(data))
        pillow.load()
        pillow = ImageOps.exif_transpose(pillow)
        ours = decode(data, LIMITS)
        assert ours.mode == pillow.mode and ours.size == pillow.size
        assert np.array_equal(np.asarray(ours), np.asarray(pillow))
        assert ours.info.get("transparency") == pillow.info.get("transparency")


def test_decompression_bomb_is_refused_before_decoding():
    bomb = encode(Image.new("1", (30000, 30000)))  # 900 megapixels in ~100 kB
    assert len(bomb) < 200_000
    with pytest.raises(Refusal, match="too many pixels"):
        decode(bomb, LIMITS)


def test_animated_images_are_refused():
    frames = [draw(1, mode="L", ink=0, paper=255), draw(7, mode="L", ink=0, paper=255)]
    for fmt in ("GIF", "PNG", "WEBP"):
        data = encode(frames[0], fmt, save_all=True, append_images=frames[1:])
        with pytest.raises(Refusal, match="animated"):
            decode(data, LIMITS)


MODES = [
    "1",
    "L",
    "P",
    "RGB",
    "RGBA",
    "LA",
    "PA",
    "I",
    "I;16",
    "F",
    "CMYK",
    "YCbCr",
    "LAB",
    "HSV",
    "La",
    "RGBa",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mode=st.sampled_from(MODES),
    width=st.integers(1, 64),
    height=st.integers(1, 64),
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["noise", "flat", "digit", "extreme"]),
)
def test_any_image_gives_a_valid_input_or_a_documented_error(mode, width, height, seed, kind):
    rng = np.random.default_rng(seed)
    if kind == "extreme":  # high-depth values far outside 0-255, NaN and infinities included
        values = rng.choice([-1e30, -5.0, 0.0, 3.0, 1e6, np.nan, np.inf, -np.inf], (height, width))
        image = Image.fromarray(values.astype(np.float32), "F")
    elif kind == "digit":
        image = draw(
            4, size=(width, height), width=max(1, width // 10), mode="RGBA", paper=(255, 255, 255, 0)
        )
        image = image.convert("LA").convert(mode) if mode == "La" else image.convert(mode)
    elif kind == "flat":
        image = Image.new(mode, (width, height))
    else:
        image = Image.fromarray(rng.integers(0, 256, (height, width, 4), dtype=np.uint8))
        image = image.convert("LA").convert(mode) if mode == "La" else image.convert(mode)
    try:
        x = to_model_input(image)
    except Refusal:
        return
    assert x.shape == (SIZE, SIZE) and x.dtype == np.float32
    assert np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2048))
def test_any_bytes_decode_or_raise_a_documented_error(data):
    with contextlib.suppress(Refusal):
        to_model_input(decode(data, LIMITS))


@settings(max_examples=200, deadline=None)
@given(
    fmt=st.sampled_from(["PNG", "JPEG", "WEBP", "GIF", "BMP"]),
    cut=st.integers(0, 4000),
    flip=st.integers(0, 4000),
)
def test_truncated_and_corrupted_files_raise_a_documented_error(fmt, cut, flip):
    image = draw(7, size=(64, 64), width=6, mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    data = bytearray(encode(image, fmt))
    data[flip % len(data)] ^= 0xFF
    with contextlib.suppress(Refusal):
        to_model_input(decode(bytes(data[: max(1, len(data) - cut % len(data))]), LIMITS))


@pytest.mark.parametrize(
    "mode, fmt",
    [
        ("1", "PNG"),
        ("1", "BMP"),
        ("L", "PNG"),
        ("L", "WEBP"),
        ("P", "PNG"),
        ("P", "GIF"),
        ("RGB", "JPEG"),
        ("RGB", "BMP"),
        ("RGBA", "PNG"),
        ("RGBA", "WEBP"),
        ("LA", "PNG"),
        ("I;16", "PNG"),
        ("CMYK", "JPEG"),
    ],
)
def test_every_mode_as_a_file_reads_the_same(mode, fmt):
    reference = to_model_input(draw(7))
    picture = draw(7, ink=(0, 0, 0, 255), paper=(255, 255, 255, 0))  # transparent where unpainted
    image = picture.convert("RGB").convert(mode) if "A" not in mode else picture.convert(mode)
    data = encode(image, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    assert close(to_model_input(decode(data, LIMITS)), reference, 0.03)


@pytest.mark.parametrize("digit", [4, 7])
def test_graph_paper_grid_is_not_ink(digit):
    """A real-world miss: a digit photographed on squared paper was cropped with the grid."""
    on_grid, plain = to_model_input(graph_paper(digit)), to_model_input(draw(digit))
    # With the grid taken for ink, the digit shrinks to a fraction of its size.
    assert abs(int((on_grid > 0.2).sum()) - int((plain > 0.2).sum())) <= 0.15 * (plain > 0.2).sum()
    assert np.abs(on_grid - plain).mean() < 0.08


def test_hatching_that_spans_the_image_once_or_twice_is_still_ink():
    image = Image.new("L", (200, 200), 255)
    pen = ImageDraw.Draw(image)
    for y in (60, 140):  # two lines: a drawing, not ruled paper
        pen.line([(0, y), (199, y)], fill=0, width=8)
    field = to_model_input(image)
    assert (field > 0.5).sum(axis=1).max() >= 18


def test_faint_translucent_frame_on_opaque_paper_is_not_a_box():
    """A real-world miss: the frame was flattened on black, a grey box around the digit."""
    flat = to_model_input(framed(draw(7)))
    assert np.abs(flat - to_model_input(draw(7))).mean() < 0.02
    assert flat[0].max() == 0 and flat[:, 0].max() == 0
