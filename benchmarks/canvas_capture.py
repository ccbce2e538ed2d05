"""Records the PNG the drawing page sends for a 7 drawn with the mouse (the serving
benchmark's input, so that it measures what a browser really sends), and for a few
numbers (the fixtures of tests/web/test_read.py).

    python -m benchmarks.canvas_capture     # rewrites benchmarks/canvas-seven.png and tests/fixtures/numbers/

Needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium). The page
paints white paper under the ink, and Chromium compresses lightly (7 kB); Pillow's
encoding of the same 7 as ink on transparent, which the benchmark used before, is
1.2 kB, and classifying it takes ~0.45 ms longer (decoding, then flattening).
"""

from __future__ import annotations

import base64
import io
import random
import sys

from PIL import Image

from support.browser import CHROMIUM, CHROMIUM_ARGS
from support.drawing import STROKES
from support.servers import CANVAS, start

PORT = 8766
BOX = (0.15, 0.1, 0.85, 0.9)  # where support.drawing puts digits, as fractions of the pad
NUMBERS = ("2026", "42", "1704", "567", "10", "7420")
FIXTURES = CANVAS.parents[1] / "tests" / "fixtures" / "numbers"


def cells(text: str) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Each digit of a number in a cell of its own across the pad's middle, a little
    uneven in size and height, as a hand puts them."""
    width = 0.9 / len(text)
    rng = random.Random(text)
    placed = []
    for i, digit in enumerate(text):
        left, top = 0.05 + i * width, 0.32 + rng.uniform(-0.04, 0.04)
        height = min(0.36, 1.6 * width) * rng.uniform(0.9, 1.1)
        placed.append((int(digit), (left + 0.1 * width, top, left + 0.9 * width, top + height)))
    return placed


# static/js/pad.js' image(), run in the page: a request's blob body is not visible
# to Playwright, so the PNG is made the same way the page makes it.
EXPORT = """() => {
  const out = document.createElement("canvas");
  out.width = out.height = 280;
  out.getContext("2d").drawImage(document.querySelector("[data-testid=pad]"), 0, 0, 280, 280);
  return out.toDataURL("image/png");
}"""


def capture(base_url: str, drawing: list[tuple[int, tuple[float, float, float, float]]]) -> bytes:
    """Draws each digit in its box (fractions of the pad) with the mouse; the page's PNG."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.goto(base_url)
        pad = page.get_by_test_id("pad").bounding_box()
        for digit, (left, top, right, bottom) in drawing:
            for stroke in STROKES[digit]:
                points = [
                    (
                        pad["x"] + pad["width"] * (left + x * (right - left)),
                        pad["y"] + pad["height"] * (top + y * (bottom - top)),
                    )
                    for x, y in stroke
                ]
                page.mouse.move(*points[0])
                page.mouse.down()
                for point in points[1:]:
                    page.mouse.move(*point, steps=12)
                page.mouse.up()
        data_url = page.evaluate(EXPORT)
        browser.close()
    return base64.b64decode(data_url.split(",", 1)[1])


def main() -> int:
    process, _ = start([sys.executable, "-m", "app.cli.serve"], PORT, {"DIGITPAD_PORT": str(PORT)})
    try:
        png = capture(f"http://127.0.0.1:{PORT}/", [(7, BOX)])
        numbers = {text: capture(f"http://127.0.0.1:{PORT}/", cells(text)) for text in NUMBERS}
    finally:
        process.terminate()
        process.wait(timeout=30)
    image = Image.open(io.BytesIO(png))
    CANVAS.write_bytes(png)
    print(f"wrote {CANVAS}: {image.format} {image.mode} {image.size[0]}x{image.size[1]}, {len(png)} bytes")
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for text, number_png in numbers.items():
        (FIXTURES / f"{text}.png").write_bytes(number_png)
    print(f"wrote {len(numbers)} numbers to {FIXTURES}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
