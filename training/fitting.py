"""The one training loop that every recipe (training.recipes) runs: seed, data, the
tf.data pipeline, a cosine schedule, a fit that resumes where it was interrupted, the
LiteRT export checked against Keras, the layers model for /explain, evaluation, plots
and the model card, which records every flag of the run."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import PIL

from app.core.card import ModelCard
from app.core.explain import layers_file
from app.core.inference import LiteRTPredictor, Predictor
from app.core.tasks import Task
from training import native_stderr_held
from training.augment import stretch_some
from training.data import Mnist
from training.explain_export import CHECK_IMAGES, export_layers
from training.extra import Extra
from training.extra import accuracy as extra_accuracy
from training.hub_card import write_readme
from training.networks import NETWORKS, Network
from training.recipes import QUICK_TRAIN, Recipe
from training.report import plot_history
from training.tf import keras, tf
from training.train import Config

WORK = ".training"  # inside the output folder: the backup a resumed run starts from, removed at the end


def seeded(seed: int) -> None:
    """The same seed and data give the same weights (TensorFlow's deterministic ops)."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_history(path: Path) -> dict[str, list[float]]:
    rows = np.genfromtxt(path, delimiter=",", names=True)
    rows = np.atleast_1d(rows)
    # Keras' CSVLogger writes val_ columns even without validation data, all "NA".
    return {
        name: rows[name].tolist()
        for name in rows.dtype.names or ()
        if name != "epoch" and not np.isnan(rows[name]).all()
    }


def _whole(path: Path) -> bool:
    try:
        json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return True


def fit_resumable(
    model: keras.Model,
    train_ds: tf.data.Dataset,
    epochs: int,
    out: Path,
    work: Path,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    callbacks: tuple[keras.callbacks.Callback, ...] = (),
) -> float:
    """Fits, logging each epoch to out/history.csv and backing it up in work/backup; run
    again after an interruption, it resumes from the last finished epoch. Returns the
    seconds the fit took."""
    backup = work / "backup"
    if backup.exists() and not _whole(backup / "training_metadata.json"):
        # Interrupted while Keras wrote it (the file is made, then filled): nothing to resume.
        print(f"the backup in {backup} was cut short; training from the start", flush=True)
        shutil.rmtree(backup)
    if not backup.exists():  # a fresh run, not a resumed one
        (out / "history.csv").unlink(missing_ok=True)
    every = [  # in this order: an epoch's history row is written before its backup
        keras.callbacks.CSVLogger(out / "history.csv", append=True),
        keras.callbacks.BackupAndRestore(str(work / "backup")),
        *callbacks,
    ]
    started = time.monotonic()
    # shuffle=False: the dataset is shuffled already, and Keras warns about the flag otherwise.
    model.fit(
        train_ds,
        epochs=epochs,
        validation_data=validation,
        callbacks=every,
        shuffle=False,
        verbose=1 if sys.stdout.isatty() else 2,
    )
    return time.monotonic() - started


def export(
    model: keras.Model,
    work: Path,
    out: Path,
    stem: str,
    x_check: np.ndarray,
    predictor: Callable[[Path], Predictor],
) -> tuple[keras.Model, Predictor, float]:
    """Writes out/<stem>.keras (without optimizer state) and out/<stem>.tflite; returns the
    shipped Keras model, the LiteRT one, and their largest difference on `x_check`."""
    model.save(work / "trained.keras")
    model = keras.saving.load_model(work / "trained.keras", compile=False)  # no optimizer state shipped
    model.save(out / f"{stem}.keras")
    model.export(str(out / f"{stem}.tflite"), format="litert", verbose=False)
    with native_stderr_held():
        litert = predictor(out / f"{stem}.tflite")
    parity = float(np.abs(litert.predict(x_check) - model.predict(x_check[..., None], verbose=0)).max())
    return model, litert, parity


def loss_and_accuracy(smoothing: float) -> tuple[keras.losses.Loss, keras.metrics.Metric]:
    """Cross-entropy on class numbers, or on one-hot vectors where labels are smoothed."""
    if smoothing:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)
        return loss, keras.metrics.CategoricalAccuracy(name="accuracy")
    accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    return keras.losses.SparseCategoricalCrossentropy(), accuracy


def targets(recipe: Recipe, labels: np.ndarray) -> np.ndarray:
    """Class numbers, or one-hot vectors where the recipe smooths its labels."""
    return np.eye(recipe.task.outputs, dtype=np.float32)[labels] if recipe.label_smoothing else labels


def pipeline(
    recipe: Recipe, network: Network, config: Config, x: np.ndarray, y: np.ndarray
) -> tf.data.Dataset:
    """Shuffled batches, augmented (unless --no-augment) as they are drawn, prefetched."""
    if not config.no_augment and recipe.stretched:
        x = stretch_some(x, recipe.stretched, config.seed)
    dataset = tf.data.Dataset.from_tensor_slices((x[..., None], y))
    dataset = dataset.shuffle(len(x), seed=config.seed).batch(config.batch_size)
    if not config.no_augment and network.augment is not None:
        augment = network.augment(config.seed)
        dataset = dataset.map(
            lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def smoke_test_warning(config: Config) -> str:
    return (
        f"SMOKE TEST (--quick): {QUICK_TRAIN} training images, {config.epochs} epoch(s): its figures are meant "
        "to be poor; they check the pipeline, not the model"
    )


def output_meaning(task: Task) -> str:
    rejects = ", then 'not a digit' and 'several digits'" if task.can.reject else ""
    return f"softmax probabilities of the labels, in their order{rejects}"


def _last_hidden_dense(model: keras.Model) -> int:
    """The index of the dense layer before the output layer (where the head begins)."""
    dense = [i for i, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Dense)]
    return dense[-2] if len(dense) > 1 else dense[-1]


def collected(config: Config, recipe: Recipe, extra: Extra, litert: Predictor) -> dict:
    """The collected examples for the card: where from, the counts, and the share of those
    held out read right, by this model and by the one it started from."""
    inputs = extra.x_heldout.astype(np.float32) / 255
    accuracy = {"candidate": extra_accuracy(litert.predict(inputs), extra.y_heldout, config.threshold)}
    if config.init_from is not None and len(inputs):
        start = LiteRTPredictor(config.init_from / f"{recipe.stem}.tflite")
        accuracy["start"] = extra_accuracy(start.predict(inputs), extra.y_heldout, config.threshold)
    print(f"collected examples held out ({len(inputs)}): {accuracy}", flush=True)
    return {**extra.info, "heldout_accuracy": accuracy}


def run(recipe: Recipe, config: Config, source: Mnist) -> ModelCard:
    """Trains `recipe` and its network as `config` says, on the data its `load` returned,
    and writes the model, its card and its plots to config.out."""
    if config.quick:
        print(smoke_test_warning(config), flush=True)
    settings = ", ".join(f"{name}={value}" for name, value in config.recorded().items())
    print(f"training {recipe.name} ({recipe.title}): {settings}", flush=True)
    network = NETWORKS[recipe.name]
    seeded(config.seed)
    out, work = config.out, config.out / WORK
    work.mkdir(parents=True, exist_ok=True)
    data = recipe.prepare(config, source)

    n_val = int(len(data.x_train) * config.val_split)  # the first n_val images validate, the rest train
    x_fit, y_fit = data.x_train[n_val:], targets(recipe, data.y_train[n_val:])
    train_ds = pipeline(recipe, network, config, x_fit, y_fit)
    validation = (data.x_train[:n_val, ..., None], targets(recipe, data.y_train[:n_val])) if n_val else None

    model = network.build()
    if config.init_from is not None:  # a fine-tune: the same network, from its trained weights
        start = keras.saving.load_model(config.init_from / f"{recipe.stem}.keras", compile=False)
        model.set_weights(start.get_weights())
        if config.only_head:  # the features it learnt stay as they are: less drift on other hands
            for layer in model.layers[: _last_hidden_dense(model)]:
                layer.trainable = False
    steps = config.epochs * int(np.ceil(len(x_fit) / config.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps, alpha=0.01)
    if network.loss is None:
        loss, accuracy = loss_and_accuracy(recipe.label_smoothing)
        model.compile(keras.optimizers.Adam(schedule), loss, metrics=[accuracy])
    else:
        model.compile(keras.optimizers.Adam(schedule), network.loss())
    model.summary(print_fn=lambda line, **_: print(line))
    # Ships the weights the cosine schedule ends with, or, when validation stops
    # improving for `patience` epochs, the best ones seen.
    stopping = (
        (keras.callbacks.EarlyStopping(patience=config.patience, restore_best_weights=True),) if n_val else ()
    )
    seconds = fit_resumable(model, train_ds, config.epochs, out, work, validation, stopping)

    shipped = network.wrap(model) if network.wrap else model
    model, litert, parity = export(shipped, work, out, recipe.stem, data.x_test, recipe.predictor)
    files = [f"{recipe.stem}.keras", f"{recipe.stem}.tflite"]
    layers = None
    if recipe.explain:
        layers = export_layers(model, out / layers_file(recipe.stem), data.x_test[:CHECK_IMAGES])
        files.append(layers_file(recipe.stem))
    evaluation = recipe.evaluate(config, data, litert, out)
    history = read_history(out / "history.csv")
    plot_history(history, out / "learning_curves.png")
    provenance = data.provenance
    if data.extra is not None:
        provenance = {**provenance, "extra": collected(config, recipe, data.extra, litert)}

    card = ModelCard.model_validate(
        {
            "name": recipe.stem,
            "title": recipe.title,
            "version": sha256(out / f"{recipe.stem}.tflite")[:12],
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "architecture": recipe.architecture,
            "parameters": model.count_params(),
            "task": recipe.task.name,
            "labels": list(recipe.task.labels),
            "input": {
                "shape": [*data.x_test.shape[1:], 1],
                "dtype": "float32",
                "range": [0, 1],
                "meaning": recipe.task.input_meaning,
            },
            "output": {
                "shape": list(model.output_shape[1:]),
                "meaning": recipe.output_meaning or output_meaning(recipe.task),
            },
            "not_a_digit": evaluation.not_a_digit,
            "metrics": evaluation.metrics,
            "litert_max_abs_difference": parity,
            "training": {
                **config.recorded(),
                "label_smoothing": recipe.label_smoothing,
                "epochs_run": len(history["loss"]),
                "seconds": round(seconds, 1),
                "train_images": len(x_fit),
                "validation_images": n_val,
                **data.counts,
            },
            "data": provenance,
            "versions": versions(),
            "files": {name: sha256(out / name) for name in files},
            "layers": layers,
        }
    )
    card.write(out / "model_card.json")
    write_readme(out)  # README.md, the Hub's format of the same card
    shutil.rmtree(work)
    print(evaluation.summary)
    print(f"LiteRT vs Keras: max |difference| {parity:.2e}; trained in {seconds:.0f} s; wrote {out}/")
    if config.quick:
        print(smoke_test_warning(config))
    return card
