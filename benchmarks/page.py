"""The page's own path: from the pen lifting to the answer painted, in headless Chromium.

    python -m benchmarks.page                        # starts digitpad-serve; 20 drawings
    python -m benchmarks.page --url http://127.0.0.1:8000 --drawings 40

Each drawing is a digit drawn with the mouse, stroke by stroke, as a hand would (the page
reads live meanwhile); the time is from the last `pointerup` to the last change of the
answer (#summary) after it, once the page has settled. Whatever the page sends (its
strokes, or a PNG) is what is measured. Needs Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import nullcontext

from support.browser import CHROMIUM, CHROMIUM_ARGS
from support.drawing import STROKES
from support.servers import running_server

DIGITS = tuple(STROKES)
# Records when the pen lifts, each time the answer changes, and what the page sent.
RECORD = """() => {
    window.renders = [];
    new MutationObserver(() => window.renders.push(performance.now()))
        .observe(document.querySelector('#summary'), {childList: true, characterData: true, subtree: true});
    document.querySelector('[data-testid=pad]')
        .addEventListener('pointerup', () => { window.lifted = performance.now(); });
}"""


def latencies(base_url: str, drawings: int) -> tuple[list[float], dict[str, int]]:
    """ms from the pen lifting to the answer painted, one per drawing; and the content
    types of the reading requests the page sent."""
    from playwright.sync_api import expect, sync_playwright

    sent: dict[str, int] = {}
    found = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.on(
            "request",
            lambda r: (
                r.method == "POST"
                and sent.update(
                    {r.headers.get("content-type", "?"): sent.get(r.headers.get("content-type", "?"), 0) + 1}
                )
            ),
        )
        page.goto(base_url)
        page.evaluate(RECORD)
        pad = page.get_by_test_id("pad").bounding_box()
        assert pad is not None
        for i in range(drawings):
            digit = DIGITS[i % len(DIGITS)]
            page.keyboard.press("Escape")
            for stroke in STROKES[digit]:
                points = [
                    (pad["x"] + pad["width"] * (0.15 + 0.7 * x), pad["y"] + pad["height"] * (0.1 + 0.8 * y))
                    for x, y in stroke
                ]
                page.mouse.move(*points[0])
                page.mouse.down()
                for point in points[1:]:
                    page.mouse.move(*point, steps=6)
                    page.wait_for_timeout(8)  # a hand takes time: the live readings fire meanwhile
                page.mouse.up()
            expect(page.locator("#summary")).not_to_be_empty(timeout=10_000)
            for _ in range(500):
                if page.evaluate("Math.max(...window.renders) > window.lifted"):
                    break
                page.wait_for_timeout(10)
            page.wait_for_timeout(300)  # nothing else on its way
            found.append(page.evaluate("Math.max(...window.renders) - window.lifted"))
        browser.close()
    return found, sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drawings", type=int, default=20)
    parser.add_argument("--url", help="a running digitpad; by default one is started")
    args = parser.parse_args(argv)
    with nullcontext(None) if args.url else running_server(workers=None) as server:
        url = args.url or server.url
        found, sent = latencies(url, args.drawings)
    print(f"page requests sent, by content type: {sent}")
    print(
        f"pen lifted to answer painted (Chromium, {len(found)} drawings): median "
        f"{statistics.median(found):.1f} ms, max {max(found):.1f} ms; {', '.join(f'{t:.0f}' for t in found)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
