"""Exports the served network's every layer for /explain: a LiteRT model with one
output per layer (digitpad_layers.tflite), checked against Keras' intermediate
outputs to 1e-4, and the layers' list (name, kind, shape, parameters) for the model
card. training.train calls export_layers after its main export; for a model already
trained:

    python -m training.explain_export --model-dir models --data-dir ../shared/data/mnist

writes the layers model beside models/digitpad.keras and adds the layers, and the new
file's hash, to models/model_card.json. The served model itself is left as it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from app.card import Layer, ModelCard
from app.explain import LAYERS_FILE, LayersRunner
from app.preprocess import to_model_inputs
from training.data import DataError, load_mnist

TOLERANCE = 1e-4
CHECK_IMAGES = 256  # MNIST test images the export is checked on
KINDS = {"Conv2D": "conv", "BatchNormalization": "batch-norm", "ReLU": "relu", "MaxPooling2D": "pool",
         "Flatten": "flatten", "Dropout": "dropout"}


def kind(layer) -> str:
    name = type(layer).__name__
    if name == "Dense":
        return "softmax" if layer.get_config()["activation"] == "softmax" else "dense"
    if name not in KINDS:
        raise ValueError(f"no kind for a {name} layer ({layer.name}): add it to KINDS and to app.card.LayerKind")
    return KINDS[name]


def shown_layers(model) -> list:
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def describe(model) -> list[Layer]:
    return [Layer(name=layer.name, kind=kind(layer), shape=list(layer.output.shape[1:]),
                  parameters=layer.count_params()) for layer in shown_layers(model)]


def max_difference(path: Path, model, images: np.ndarray) -> float:
    """Largest |LiteRT - Keras| over every layer's output, for (n, 28, 28) images."""
    import keras

    layers = shown_layers(model)
    intermediate = keras.Model(model.inputs, [layer.output for layer in layers])
    runner = LayersRunner(path)
    worst = 0.0
    for start in range(0, len(images), 32):
        batch = images[start:start + 32]
        expected = intermediate.predict(batch[..., None], verbose=0)
        for i, image in enumerate(batch):
            ours = runner.run(image)
            for layer, theirs in zip(layers, expected, strict=True):
                worst = max(worst, float(np.abs(ours[layer.name] - theirs[i]).max()))
    return worst


def export_layers(model, out: Path, images: np.ndarray) -> list[Layer]:
    """Writes out/digitpad_layers.tflite, every layer's output named after the layer;
    raises ValueError when it differs from Keras by more than TOLERANCE on `images`
    ((n, 28, 28) model inputs)."""
    import keras

    layers = shown_layers(model)
    keras.Model(model.inputs, {layer.name: layer.output for layer in layers}).export(
        str(out / LAYERS_FILE), format="litert", verbose=False)
    difference = max_difference(out / LAYERS_FILE, model, images)
    if difference > TOLERANCE:
        raise ValueError(f"{LAYERS_FILE} differs from Keras by {difference:.2e} (more than {TOLERANCE})")
    print(f"{LAYERS_FILE}: every layer matches Keras to {difference:.2e} on {len(images)} images")
    return describe(model)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", type=Path, default=Path("models"),
                   help="folder with digitpad.keras and model_card.json (default: %(default)s)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="MNIST's IDX files, whose test images check the export; default: Keras' download")
    args = p.parse_args(argv)
    try:
        images = to_model_inputs(load_mnist(args.data_dir).x_test[:CHECK_IMAGES])
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    import keras

    model = keras.saving.load_model(args.model_dir / "digitpad.keras", compile=False)
    layers = export_layers(model, args.model_dir, images)
    card_path = args.model_dir / "model_card.json"
    # Edited as JSON, so that the card changes by these two keys alone; validated first.
    card = json.loads(card_path.read_text())
    card["files"][LAYERS_FILE] = hashlib.sha256((args.model_dir / LAYERS_FILE).read_bytes()).hexdigest()
    card["layers"] = [layer.model_dump() for layer in layers]
    ModelCard.model_validate(card)
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {args.model_dir / LAYERS_FILE} and the layers of {card_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
