"""Looking inside: POST /explain of the page's one-digit PNG on 127.0.0.1 (time and
size of the answer, beside /predict), where its time goes in process, and how long
after the pen lifts the page's "Look inside" panel shows the new drawing, in headless
Chromium.

    python -m benchmarks.explain
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit

import httpx
import numpy as np

from app.core.classifier import Classifier
from app.core.decode import decode
from app.core.explain import CORNERS, Explainer, grey_image
from app.core.preprocess import to_model_input
from app.settings import Settings
from support import loadgen
from support.servers import CANVAS, start

PANEL_DIGITS = (7, 4, 0, 1, 7, 2, 5, 6, 7, 4)
# Records when the pen lifts and each time the panel is repainted (its data-rendered changes).
RECORD = """() => {
    window.panelRenders = [];
    new MutationObserver(() => window.panelRenders.push(performance.now()))
        .observe(document.querySelector('#inside'), {attributes: true, attributeFilter: ['data-rendered']});
    document.querySelector('[data-testid=pad]')
        .addEventListener('pointerup', () => { window.lifted = performance.now(); });
}"""


def best_ms(function, number: int = 20) -> float:
    function()
    return min(timeit.repeat(function, number=number, repeat=5)) / number * 1000


def in_process() -> None:
    settings = Settings()
    classifier = Classifier.load("digits", settings.model_dir)
    explainer = Explainer.load(settings.model_dir, classifier.card, settings.limits())
    model_input = to_model_input(decode(CANVAS.read_bytes(), settings.limits()))
    activations = explainer._layers.run(model_input)
    outputs = activations[classifier.card.layers[-1].name]
    print("| /explain of the page's PNG, in process | ms (best of 5) |\n|---|---|")
    print(
        f"| decode and preprocess | {best_ms(lambda: to_model_input(decode(CANVAS.read_bytes(), settings.limits()))):.2f} |"
    )
    print(
        f"| every layer's outputs (the layers model, one call) | {best_ms(lambda: explainer._layers.run(model_input)):.2f} |"
    )
    print(
        f"| their {len(activations)} PNGs | {best_ms(lambda: [grey_image(a) for a in activations.values()]):.2f} |"
    )
    print(
        f"| occlusion (one call of {len(CORNERS)} copies) | "
        f"{best_ms(lambda: explainer._occlusion.attribution(model_input, outputs, 7)):.2f} |"
    )
    print(
        f"| all of it (Explainer.explain) | {best_ms(lambda: explainer.explain(CANVAS.read_bytes())):.2f} |"
    )


def panel_latency(base_url: str) -> list[float]:
    """ms from the pen lifting to the panel showing the finished drawing, one per digit."""
    from playwright.sync_api import expect, sync_playwright

    from support.browser import CHROMIUM, CHROMIUM_ARGS
    from support.drawing import STROKES

    latencies = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.goto(base_url)
        page.locator("#inside summary").click()
        page.evaluate("window.scrollTo(0, 0)")
        page.evaluate(RECORD)
        pad = page.get_by_test_id("pad").bounding_box()
        for digit in PANEL_DIGITS:
            page.keyboard.press("Escape")
            for stroke in STROKES[digit]:
                points = [
                    (pad["x"] + pad["width"] * (0.15 + 0.7 * x), pad["y"] + pad["height"] * (0.1 + 0.8 * y))
                    for x, y in stroke
                ]
                page.mouse.move(*points[0])
                page.mouse.down()
                for point in points[1:]:
                    page.mouse.move(*point, steps=12)
                page.mouse.up()
            expect(page.locator("#inside-status")).to_contain_text(f"as a {digit}", timeout=10_000)
            for _ in range(250):  # the look inside at the finished drawing starts after /read answers
                if page.evaluate("Math.max(...window.panelRenders) > window.lifted"):
                    break
                page.wait_for_timeout(20)
            page.wait_for_timeout(300)  # nothing else on its way
            latencies.append(page.evaluate("Math.max(...window.panelRenders) - window.lifted"))
        browser.close()
    return latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args(argv)

    in_process()
    process, _ = start(
        [sys.executable, "-m", "app.cli.serve"],
        args.port,
        {"DIGITPAD_PORT": str(args.port), "DIGITPAD_LOG_LEVEL": "warning", "DIGITPAD_MODELS": "digits"},
    )
    base_url = f"http://127.0.0.1:{args.port}"
    try:
        answer = httpx.post(
            f"{base_url}/explain",
            content=CANVAS.read_bytes(),
            headers={"content-type": "image/png"},
            timeout=30,
        )
        answer.raise_for_status()
        images = sum(len(layer["image"]) for layer in answer.json()["layers"])
        print(
            f"\n/explain answer: {len(answer.content):,} bytes, of which the layers' PNGs (base64) {images:,}"
        )
        print(
            "\n| request, 1 worker, concurrency 1 | requests | p50 ms | p99 ms | errors |\n|---|---|---|---|---|"
        )
        for name, path in [
            ("/explain, the page's PNG", "/explain"),
            ("/predict, the page's PNG", "/predict"),
        ]:
            requests = [loadgen.build_request(path, CANVAS.read_bytes(), "image/png")]
            loadgen.run("127.0.0.1", args.port, requests, 50, 1)  # warm-up
            result = loadgen.run("127.0.0.1", args.port, requests, args.requests, 1)
            errors = result.connection_errors + sum(
                n for status, n in result.statuses.items() if status != 200
            )
            print(
                f"| {name} | {result.requests} | {result.percentile_ms(50):.2f} | "
                f"{result.percentile_ms(99):.2f} | {errors} |",
                flush=True,
            )
        latencies = panel_latency(base_url)
        print(
            f"\npanel repainted after the pen lifts (Chromium, {len(latencies)} drawings): median "
            f"{statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms; "
            f"{', '.join(f'{t:.0f}' for t in latencies)}"
        )
        print(f"(all under 150 ms: {bool(np.all(np.array(latencies) <= 150))})")
    finally:
        process.terminate()
        process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
