"""Model benchmark: accuracy on MNIST's test set, USPS and Semeion (through the
service's preprocessing), and the time each step takes for one image.

    python -m benchmarks.model [--data-dir ../shared/data/mnist]
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

import numpy as np

from app.core.decode import decode
from app.core.inference import KerasPredictor, LiteRTPredictor
from app.core.limits import Limits
from app.core.preprocess import to_model_input
from support.servers import CANVAS
from training import evaluate

ROOT = Path(__file__).resolve().parents[1]


def per_call_ms(function, number: int) -> float:
    """The best of seven runs: what the step costs when nothing else interferes."""
    function()
    return min(timeit.repeat(function, number=number, repeat=7)) / number * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=Path, default=ROOT / "models" / "digits")
    parser.add_argument("--data-dir", type=Path, default=evaluate.SHARED_DATA / "mnist")
    args = parser.parse_args(argv)

    litert = LiteRTPredictor(args.models / "digits.tflite")
    assert (
        evaluate.main(["--model", str(args.models / "digits.tflite"), "--data-dir", str(args.data_dir)]) == 0
    )

    canvas = CANVAS.read_bytes()  # what the page sends
    image = decode(canvas, Limits(max_pixels=10**8))
    x = to_model_input(image)
    keras_model = KerasPredictor(args.models / "digits.keras")
    import keras

    plain = keras.saving.load_model(args.models / "digits.keras", compile=False)
    batch = x[None, ..., None]
    print("\n| step, one 280x280 canvas PNG | ms |\n|---|---|")
    for name, function, number in [
        ("decode (PNG inflate, checks, EXIF)", lambda: decode(canvas, Limits(max_pixels=10**8)), 200),
        ("preprocess to 28x28", lambda: to_model_input(image), 200),
        ("LiteRT inference", lambda: litert.predict(x), 2000),
        ("Keras model call (compiled tf.function, reference backend)", lambda: keras_model.predict(x), 200),
        ("Keras model.predict (the tutorial way)", lambda: plain.predict(batch, verbose=0), 20),
    ]:
        print(f"| {name} | {per_call_ms(function, number):.3f} |")
    np.testing.assert_allclose(litert.predict(x), keras_model.predict(x), atol=1e-4)
    return 0


if __name__ == "__main__":
    sys.exit(main())
