"""Phone photos and scans of drawn digits, made here: each kind of photo that failed on
people's images (a fine pen on a 12-megapixel page, a soft shadow, blue ink on beige, a
marker filling a tinted photo, pencil on grey, the paper's edge, a multi-picture JPEG),
for the tests and the benchmarks."""

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from support.drawing import draw, encode


def ink_of(
    digit: int, size: tuple[int, int], box: tuple[float, float, float, float], width: int
) -> np.ndarray:
    """The digit's ink in [0, 1], softened as a lens softens it."""
    image = draw(digit, size=size, box=box, width=width, ink=255, paper=0, mode="L")
    return np.asarray(image.filter(ImageFilter.GaussianBlur(max(1, width // 6))), np.float32) / 255


def page(size: tuple[int, int], paper: tuple[float, float, float], seed: int = 0) -> np.ndarray:
    """Paper in colour (height, width, 3), with grain, and light falling off to its corners."""
    rng = np.random.default_rng(seed)
    width, height = size
    yy, xx = np.ogrid[-1 : 1 : height * 1j, -1 : 1 : width * 1j]
    vignette = 30 * (xx**2 + yy**2).astype(np.float32)
    grain = rng.standard_normal((height, width), np.float32) * 4
    return np.asarray(paper, np.float32) - (vignette + grain)[..., None]


def shadow(rgb: np.ndarray, depth: float) -> np.ndarray:
    """A soft shadow falling across the page from its top right."""
    height, width, _ = rgb.shape
    yy, xx = np.ogrid[:height, :width]
    across = (xx / width - yy / height - 0.1) / 0.08
    return rgb - depth * (1 / (1 + np.exp(-across)))[..., None]


def inked(
    rgb: np.ndarray, ink: np.ndarray, colour: tuple[float, float, float], strength: float = 1.0
) -> Image.Image:
    depth = strength * ink[..., None]
    out = rgb * (1 - depth) + np.minimum(rgb, np.asarray(colour, np.float32)) * depth
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def fine_pen_on_a_big_photo(digit: int) -> bytes:
    """Blue ballpoint on beige, a stroke 1% of the page's width, a 3000x4000 phone photo."""
    size = (3000, 4000)
    ink = ink_of(digit, size, (0.35, 0.35, 0.6, 0.6), width=30)
    return encode(inked(shadow(page(size, (235, 222, 195)), 40), ink, (30, 50, 150)), "JPEG", quality=85)


def shadow_across_the_page(digit: int) -> bytes:
    """Black marker, half of the page in a soft shadow darker than the paper's light half by 90."""
    size = (800, 1000)
    ink = ink_of(digit, size, (0.3, 0.3, 0.7, 0.7), width=24)
    return encode(inked(shadow(page(size, (230, 230, 228)), 90), ink, (25, 25, 25)), "JPEG", quality=80)


def blue_ink_on_beige(digit: int) -> bytes:
    size = (600, 600)
    ink = ink_of(digit, size, (0.25, 0.2, 0.75, 0.8), width=10)
    return encode(inked(page(size, (240, 225, 190)), ink, (40, 60, 170)), "JPEG", quality=80)


def marker_filling_a_tinted_photo(digit: int) -> bytes:
    """A broad marker's digit filling most of a small photo of tinted paper."""
    size = (240, 240)
    ink = ink_of(digit, size, (0.2, 0.1, 0.8, 0.9), width=30)
    return encode(inked(page(size, (225, 210, 185)), ink, (20, 20, 20)), "JPEG", quality=85)


def pencil_on_grey(digit: int) -> bytes:
    """A dark pencil digit filling most of a small photo of grey paper."""
    size = (150, 150)
    ink = ink_of(digit, size, (0.15, 0.08, 0.85, 0.92), width=9)
    return encode(inked(page(size, (165, 165, 160)), ink, (70, 70, 75), 0.9), "JPEG", quality=85)


def paper_edge(digit: int) -> bytes:
    """A scan with the table beyond the paper's edge down its left side, near the digit."""
    size = (400, 400)
    rgb = page(size, (238, 238, 236))
    rgb[:, :36] = 60
    ink = ink_of(digit, size, (0.2, 0.15, 0.7, 0.85), width=14)
    return encode(inked(rgb, ink, (20, 20, 20)), "JPEG", quality=85)


def multi_picture_jpeg(digit: int) -> bytes:
    """A phone's MPO: the photo as a JPEG, and a second frame after it."""
    photo = Image.open(io.BytesIO(blue_ink_on_beige(digit)))
    return encode(photo, "MPO", save_all=True, append_images=[photo.resize((160, 160))], quality=85)


CASES: dict[str, Callable[[int], bytes]] = {
    "fine pen on a 3000x4000 photo": fine_pen_on_a_big_photo,
    "soft shadow": shadow_across_the_page,
    "blue ink on beige": blue_ink_on_beige,
    "marker filling a tinted photo": marker_filling_a_tinted_photo,
    "pencil on grey": pencil_on_grey,
    "paper edge": paper_edge,
    "MPO": multi_picture_jpeg,
}
