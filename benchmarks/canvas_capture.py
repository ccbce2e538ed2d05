"""Records the PNG the drawing page sends for a 7 drawn with the mouse: the serving
benchmark's input, so that it measures what a browser really sends.

    python -m benchmarks.canvas_capture     # rewrites benchmarks/canvas-seven.png

Needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium). The page
paints white paper under the ink, and Chromium compresses lightly (7 kB); Pillow's
encoding of the same 7 as ink on transparent, which the benchmark used before, is
1.2 kB, and classifying it takes ~0.45 ms longer (decoding, then flattening).
"""

from __future__ import annotations

import base64
import io
import sys

from PIL import Image

from benchmarks.serving import CANVAS, start
from tests.drawing import STROKES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PORT = 8766
BOX = (0.15, 0.1, 0.85, 0.9)  # where tests.drawing puts digits, as fractions of the pad


# static/app.js' exportDrawing(), run in the page: a request's blob body is not visible
# to Playwright, so the PNG is made the same way the page makes it.
EXPORT = """() => {
  const out = document.createElement("canvas");
  out.width = out.height = 280;
  out.getContext("2d").drawImage(document.querySelector("[data-testid=pad]"), 0, 0, 280, 280);
  return out.toDataURL("image/png");
}"""


def capture(base_url: str, digit: int) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.goto(base_url)
        pad = page.get_by_test_id("pad").bounding_box()
        left, top, right, bottom = BOX
        for stroke in STROKES[digit]:
            points = [(pad["x"] + pad["width"] * (left + x * (right - left)),
                       pad["y"] + pad["height"] * (top + y * (bottom - top))) for x, y in stroke]
            page.mouse.move(*points[0])
            page.mouse.down()
            for point in points[1:]:
                page.mouse.move(*point, steps=12)
            page.mouse.up()
        data_url = page.evaluate(EXPORT)
        browser.close()
    return base64.b64decode(data_url.split(",", 1)[1])


def main() -> int:
    process, _ = start([sys.executable, "-m", "app.serve"], PORT, {"DIGITPAD_PORT": str(PORT)})
    try:
        png = capture(f"http://127.0.0.1:{PORT}/", 7)
    finally:
        process.terminate()
        process.wait(timeout=30)
    image = Image.open(io.BytesIO(png))
    CANVAS.write_bytes(png)
    print(f"wrote {CANVAS}: {image.format} {image.mode} {image.size[0]}x{image.size[1]}, {len(png)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
