"""Exports a network's every layer for /explain: a LiteRT model with one output per
layer (<card name>_layers.tflite: digits_layers.tflite, dense_layers.tflite), checked
against Keras' intermediate outputs to 1e-4, and the layers' list (name, kind, shape,
parameters) for the model card. The training loop calls export_layers after its main
export; for a model already trained:

    python -m training.explain_export --model-dir models/digits --data-dir ../shared/data/mnist

writes the layers model beside the card's <name>.keras and adds the layers, and the new
file's hash, to the folder's model_card.json. The served model itself is left as it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from app.core.card import Layer, ModelCard
from app.core.explain import LayersRunner, layers_file
from app.core.tasks import DIGITS
from training import native_stderr_held
from training.data import DataError, load_mnist
from training.tf import keras

TOLERANCE = 1e-4
CHECK_IMAGES = 256  # MNIST test images the export is checked on
KINDS = {
    "Conv2D": "conv",
    "BatchNormalization": "batch-norm",
    "ReLU": "relu",
    "MaxPooling2D": "pool",
    "Flatten": "flatten",
    "Dropout": "dropout",
}


def kind(layer: keras.Layer) -> str:
    name = type(layer).__name__
    if name == "Dense":
        return "softmax" if layer.get_config()["activation"] == "softmax" else "dense"
    if name not in KINDS:
        raise ValueError(
            f"no kind for a {name} layer ({layer.name}): add it to KINDS and to app.core.card.LayerKind"
        )
    return KINDS[name]


def shown_layers(model: keras.Model) -> list[keras.Layer]:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def describe(model: keras.Model) -> list[Layer]:
    return [
        Layer(
            name=layer.name,
            kind=kind(layer),
            shape=list(layer.output.shape[1:]),
            parameters=layer.count_params(),
        )
        for layer in shown_layers(model)
    ]


def max_difference(path: Path, model: keras.Model, images: np.ndarray) -> float:
    """Largest |LiteRT - Keras| over every layer's output, for (n, 28, 28) images."""
    layers = shown_layers(model)
    intermediate = keras.Model(model.inputs, [layer.output for layer in layers])
    runner = LayersRunner(path)
    worst = 0.0
    with native_stderr_held():  # its interpreter is made on the first run
        for start in range(0, len(images), 32):
            batch = images[start : start + 32]
            expected = intermediate.predict(batch[..., None], verbose=0)
            for i, image in enumerate(batch):
                ours = runner.run(image)
                for layer, theirs in zip(layers, expected, strict=True):
                    worst = max(worst, float(np.abs(ours[layer.name] - theirs[i]).max()))
    return worst


def export_layers(model: keras.Model, path: Path, images: np.ndarray) -> list[Layer]:
    """Writes the layers model to `path`, every layer's output named after the layer;
    raises ValueError when it differs from Keras by more than TOLERANCE on `images`
    ((n, 28, 28) model inputs)."""
    layers = shown_layers(model)
    keras.Model(model.inputs, {layer.name: layer.output for layer in layers}).export(
        str(path), format="litert", verbose=False
    )
    difference = max_difference(path, model, images)
    if difference > TOLERANCE:
        raise ValueError(f"{path.name} differs from Keras by {difference:.2e} (more than {TOLERANCE})")
    print(f"{path.name}: every layer matches Keras to {difference:.2e} on {len(images)} images")
    return describe(model)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--model-dir",
        type=Path,
        default=Path("models/digits"),
        help="folder with model_card.json and the <name>.keras it names (default: %(default)s)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="MNIST's IDX files, whose test images check the export; default: Keras' download",
    )
    args = p.parse_args(argv)
    try:
        images = DIGITS.inputs(load_mnist(args.data_dir).x_test[:CHECK_IMAGES])
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    card_path = args.model_dir / "model_card.json"
    name = ModelCard.read(card_path).name
    model = keras.saving.load_model(args.model_dir / f"{name}.keras", compile=False)
    path = args.model_dir / layers_file(name)
    layers = export_layers(model, path, images)
    # Edited as JSON, so that the card changes by these two keys alone; validated first.
    card = json.loads(card_path.read_text())
    card["files"][path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    card["layers"] = [layer.model_dump() for layer in layers]
    ModelCard.model_validate(card)
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {path} and the layers of {card_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
