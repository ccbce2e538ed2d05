"""Writes notebooks/from-tutorial-to-service.ipynb: the notebook's source of truth is
this file, so that its cells are reviewed as code and committed without outputs.

    .venv/bin/python notebooks/build.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).with_name("from-tutorial-to-service.ipynb")

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """# From the Keras tutorial to a service

The Keras tutorials read MNIST digits in a few steps: load the data, look at it, normalise it,
build a network, fit it, judge it, predict. This notebook takes the same steps with digitpad's own
code, then goes on to what a service needs: reading a digit as people draw it, a model file the
service runs without TensorFlow, and the web API.

**The training runs here are short on purpose** (12,000 images, 2 epochs, under a minute each on
two cores), so that the whole notebook runs in a few minutes. The models digitpad ships train
on all of MNIST and more (non-digits, digits photographed on paper, European 1s and 7s) for many
epochs: `make train` and `make train-dense` do that, and write `models/`.""",
    ),
    (
        "code",
        """import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: fewer lines of its C++ logs""",
    ),
    (
        "code",
        """import sys
import tempfile
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

# Run from the repository's root, wherever Jupyter was started: the data and models are found from there.
ROOT = Path.cwd() if (Path.cwd() / "pyproject.toml").exists() else Path.cwd().parent
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))
keras.utils.set_random_seed(3)  # the same weights on every run""",
    ),
    (
        "md",
        """## 1. Load MNIST

`training.data.load_mnist` reads MNIST's four IDX files from a folder, the way training does;
without the folder it falls back to Keras' own download, as the tutorials do.""",
    ),
    (
        "code",
        """from training.data import load_mnist

folder = Path("../shared/data/mnist")
mnist = load_mnist(folder if folder.is_dir() else None)
print(mnist.provenance["source"])
print("train:", mnist.x_train.shape, mnist.x_train.dtype, " test:", mnist.x_test.shape)""",
    ),
    (
        "md",
        """## 2. Look at some digits

Each image is 28x28 grey levels, white ink on black, the digit centred in the middle 20x20.
Always look at the data before training on it.""",
    ),
    (
        "code",
        """fig, axes = plt.subplots(3, 8, figsize=(8, 3.3))
for ax, image, label in zip(axes.flat, mnist.x_train, mnist.y_train, strict=False):
    ax.imshow(image, cmap="gray")
    ax.set_title(int(label))
    ax.axis("off")
fig.tight_layout()""",
    ),
    (
        "md",
        """## 3. Normalise, and take a small sample

Networks train best on small inputs, so the 0-255 grey levels become floats in [0, 1]; the
service's preprocessing gives the same range. A channel axis makes each image (28, 28, 1), the
shape the convolutions expect. Only the first 12,000 training images are used here, to keep
the runs short; the test set stays whole.""",
    ),
    (
        "code",
        """TRAIN_IMAGES = 12000  # of 60,000: a short run, not the shipped model's
EPOCHS = 2

x_train = (mnist.x_train[:TRAIN_IMAGES] / 255.0).astype("float32")[..., None]
y_train = mnist.y_train[:TRAIN_IMAGES]
x_test = (mnist.x_test / 255.0).astype("float32")[..., None]
y_test = mnist.y_test
print(x_train.shape, x_train.min(), x_train.max())""",
    ),
    (
        "md",
        """## 4. The tutorial's dense network

The tutorials' first network: every pixel into one hidden layer of 512 ReLU units, then the
outputs. `training.model.dense(512)` is the one digitpad serves as `?model=dense`. It has twelve
outputs, not ten: the ten digits, "not a digit" and "several digits". The shipped models learn the
last two from non-digits and numbers; here, trained on digits only, they just learn to stay near 0.""",
    ),
    (
        "code",
        """from training.model import cnn, dense

dense_model = dense(512)
dense_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
dense_history = dense_model.fit(x_train, y_train, epochs=EPOCHS, validation_split=0.1, verbose=2)""",
    ),
    (
        "md",
        """## 5. The CNN

Convolutions see strokes and their shapes wherever they are in the image, which a dense layer
cannot. `training.model.cnn()` is the network behind the service's default model: LeNet's shape
with batch normalisation. It is slower per image, so this short run takes a little longer. Both
fits use Keras' default batch of 32 images. Batch normalisation reads with running averages that
start far from the data's and take several hundred steps to get there: a run of fewer steps trains
well and then reads almost everything as one digit.""",
    ),
    (
        "code",
        """cnn_model = cnn()
cnn_model.summary()
cnn_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
cnn_history = cnn_model.fit(x_train, y_train, epochs=EPOCHS, validation_split=0.1, verbose=2)""",
    ),
    (
        "md",
        """## 6. Learning curves

Loss and accuracy on the training images and on the 10% held out for validation, after each
epoch. Validation close to training means the network is not just memorising; with two epochs
there are only two points each (the shipped models' curves are `models/digits/learning_curves.png`). The
CNN's first validation point is poor for the reason in step 5: its batch normalisation averages
had not settled yet.""",
    ),
    (
        "code",
        """fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for name, history in (("dense", dense_history), ("CNN", cnn_history)):
    epochs = np.arange(1, len(history.history["loss"]) + 1)
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        ax.plot(epochs, history.history[metric], "o-", label=f"{name}, train")
        ax.plot(epochs, history.history[f"val_{metric}"], "o--", label=f"{name}, validation")
        ax.set(title=metric, xlabel="epoch", xticks=epochs)
        ax.legend()
fig.tight_layout()""",
    ),
    (
        "md",
        """## 7. Test accuracy and the confusion matrix

Each network reads MNIST's 10,000 test images, never seen in training. The confusion matrix
counts, for each true digit (row), what the CNN read (column): the diagonal is right, the rest
shows which digits it mixes up. The answer is the most probable of the ten digits.""",
    ),
    (
        "code",
        """def read(model, images):
    return model.predict(images, batch_size=500, verbose=0)[:, :10].argmax(axis=1)


for name, model in (("dense", dense_model), ("CNN", cnn_model)):
    print(f"{name}: {np.mean(read(model, x_test) == y_test):.2%} of the test set")

confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, read(cnn_model, x_test)), 1)
fig, ax = plt.subplots(figsize=(5, 4.5))
ax.imshow(np.log1p(confusion), cmap="Blues")  # log: the errors are a handful beside ~1,000 right
for (row, col), count in np.ndenumerate(confusion):
    ax.text(col, row, count, ha="center", va="center", fontsize=7, color="white" if count > 100 else "black")
ax.set(xlabel="read as", ylabel="true digit", xticks=range(10), yticks=range(10), title="CNN, MNIST test");""",
    ),
    (
        "md",
        """## 8. Predict one image

The network gives a probability for each output; the answer is the largest.""",
    ),
    (
        "code",
        """image, label = x_test[0], y_test[0]
probabilities = cnn_model.predict(image[None], verbose=0)[0]
print(f"true {label}, read {probabilities[:10].argmax()} with probability {probabilities[:10].max():.3f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.5))
left.imshow(image[..., 0], cmap="gray")
left.axis("off")
right.bar(range(12), probabilities)
right.set_xticks(range(12), [*map(str, range(10)), "not", "sev."]);""",
    ),
    (
        "md",
        """## 9. A digit as people draw it

On the page, people draw on a 280x280 canvas: dark ink on a transparent background, anywhere and
at any size. Here is a 7, small and off in a corner. Read "raw" (put on white, inverted to white
on black and shrunk to 28x28, as a tutorial might), it is a few pixels in a corner, unlike any
digit MNIST has. `app.core.preprocess.to_model_input`, the service's preprocessing, does what
was done to MNIST's own digits: it crops the ink, scales its longer side to 20 px and centres it
by its mass. That is the difference between a guess and a reading.""",
    ),
    (
        "code",
        """from app.core.preprocess import to_model_input
from support.drawing import draw

drawing = draw(7, box=(0.62, 0.06, 0.9, 0.36), width=8)  # RGBA, black ink on transparent black

on_white = Image.new("RGBA", drawing.size, "white")
on_white.alpha_composite(drawing)
raw = 1 - np.asarray(on_white.convert("L").resize((28, 28)), dtype="float32") / 255
centred = to_model_input(drawing)

fig, axes = plt.subplots(1, 3, figsize=(9, 3))
axes[0].imshow(np.asarray(on_white), cmap="gray")
for ax, (name, pixels) in zip(axes[1:], (("raw", raw), ("to_model_input", centred)), strict=True):
    p = cnn_model.predict(pixels[None, ..., None], verbose=0)[0, :10]
    ax.imshow(pixels, cmap="gray")
    ax.set_title(f"{name}: read {p.argmax()} ({p.max():.2f})")
axes[0].set_title("the canvas, 280x280")
for ax in axes:
    ax.axis("off")""",
    ),
    (
        "md",
        """## 10. Save to LiteRT and read through `app.core`

The service does not run TensorFlow: it runs a LiteRT (formerly TensorFlow Lite) file with the
small `ai-edge-litert` interpreter. Keras writes one with `model.export(path, format="litert")`.
`app.core.inference.LiteRTPredictor` is what the service reads it with; it takes
`to_model_input`'s output, so this is the service's whole path for one drawing. The shipped
model, `models/digits/digits.tflite`, reads the same drawing beside it, with its "not a digit" score
and the card's threshold.""",
    ),
    (
        "code",
        """from app.core.card import ModelCard
from app.core.inference import LiteRTPredictor, read_digits

path = Path(tempfile.mkdtemp()) / "notebook_cnn.tflite"
cnn_model.export(str(path), format="litert", verbose=False)
print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB")

card = ModelCard.read(Path("models/digits/model_card.json"))
for name, predictor in (
    ("this notebook's CNN", LiteRTPredictor(path)),
    ("shipped", LiteRTPredictor(Path("models/digits/digits.tflite"))),
):
    digits, not_digit, is_digit = read_digits(predictor.predict(centred), card.not_a_digit.threshold)
    print(f"{name}: read {digits[0].argmax()} ({digits[0].max():.3f}), not-a-digit score {not_digit[0]:.3f}")""",
    ),
    (
        "md",
        """## 11. Read with the running service

`make run` serves the models in `models/` at http://127.0.0.1:8000; `POST /predict` takes an
image (or a drawing's strokes) and answers with the digit, its probabilities and whether it is
one at all. With the service running, from the repository root:

```sh
curl -F file=@docs/seven.png http://127.0.0.1:8000/predict
# → {"label": "7", "digit": 7, "confidence": 0.9999997, "is_digit": true, ...}
```

or from Python, with this notebook's drawing:

```python
import io
import httpx

buffer = io.BytesIO()
drawing.save(buffer, "PNG")
answer = httpx.post("http://127.0.0.1:8000/predict", files={"file": ("seven.png", buffer.getvalue(), "image/png")}).json()
print(answer["digit"], answer["confidence"], answer["is_digit"])
```

The README's API section has the other routes; `GET /model` is the served model's card.""",
    ),
    (
        "md",
        """## Where next

- `make train` trains the shipped CNN (all of MNIST, non-digits, digits on paper, many epochs)
  and writes `models/`; `make train-dense` the dense network into `models/dense/`.
- `models/digits/model_card.json` (and `models/digits/README.md`) hold the shipped model's figures on MNIST,
  USPS and Semeion and how often it rejects what is not a digit.
- [docs/training.md](../docs/training.md) explains the recipes and the one training loop.""",
    ),
]


def notebook() -> nbformat.NotebookNode:
    cells = [new_markdown_cell(text) if kind == "md" else new_code_cell(text) for kind, text in CELLS]
    book = new_notebook(cells=cells)
    book.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    # Fixed cell ids: a rebuild changes the file only where a cell changed.
    for number, cell in enumerate(book.cells):
        cell.id = f"cell-{number:02d}"
    return book


def text() -> str:
    return nbformat.writes(notebook()) + "\n"


if __name__ == "__main__":
    NOTEBOOK.write_text(text())
    print(f"wrote {NOTEBOOK}")
