"""Loading the digit data sets: MNIST (IDX files or Keras' download) and the
USPS and Semeion sets that are used for evaluation only."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

IDX_UBYTE_MAGIC = {1: 0x00000801, 3: 0x00000803}  # labels (1-D), images (3-D)
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DataError(Exception):
    """A data file or folder is missing or malformed; the message says which and why."""


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray  # (n, 28, 28) uint8, white ink on black
    y_train: np.ndarray  # (n,) uint8
    x_test: np.ndarray
    y_test: np.ndarray
    provenance: dict  # where the arrays came from: files, counts, md5s


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Reads an IDX file of unsigned bytes (gzipped or not) with `ndim` dimensions."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from exc
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: too short to be an IDX file")
    magic = int.from_bytes(raw[:4], "big")
    if magic != IDX_UBYTE_MAGIC[ndim]:
        raise DataError(f"{path}: bad magic number 0x{magic:08x}, expected 0x{IDX_UBYTE_MAGIC[ndim]:08x}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - header != int(np.prod(shape)):
        raise DataError(f"{path}: {len(raw) - header} data bytes, header says shape {shape}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find(data_dir: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (data_dir / name).is_file():
            return data_dir / name
    raise DataError(f"{data_dir}: no {stem}[.gz] (expected the four MNIST IDX files)")


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def load_idx_folder(data_dir: Path, name: str) -> Mnist:
    """The four MNIST-format IDX files (MNIST, Fashion-MNIST) from a folder."""
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: no such {name} data folder")
    paths = {key: _find(data_dir, stem) for key, stem in MNIST_FILES.items()}
    arrays = {key: read_idx(path, 3 if key.endswith("images") else 1) for key, path in paths.items()}
    for split in ("train", "test"):
        n_images, n_labels = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_images != n_labels:
            raise DataError(f"{data_dir}: {split} has {n_images} images but {n_labels} labels")
    provenance = {
        "source": str(data_dir),
        "files": {path.name: {"count": len(arrays[key]), "md5": md5(path)} for key, path in paths.items()},
    }
    return Mnist(
        arrays["train_images"],
        arrays["train_labels"],
        arrays["test_images"],
        arrays["test_labels"],
        provenance,
    )


def load_mnist(data_dir: Path | None) -> Mnist:
    """MNIST from a folder of IDX files, or from Keras' download cache when None."""
    if data_dir is None:
        from training.tf import keras

        try:
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        except Exception as exc:  # the download's many failure types all mean the same here
            raise DataError(
                f"could not download MNIST ({type(exc).__name__}: {str(exc)[:120]}); "
                "pass --data-dir with the four MNIST IDX files"
            ) from exc
        provenance = {"source": "keras.datasets.mnist.load_data()"}
        return Mnist(x_train, y_train, x_test, y_test, provenance)
    return load_idx_folder(data_dir, "MNIST")


def load_fashion(data_dir: Path) -> Mnist:
    """Fashion-MNIST's IDX files (Debian: apt-get install dataset-fashion-mnist)."""
    if not data_dir.is_dir():
        raise DataError(
            f"{data_dir}: no Fashion-MNIST folder (apt-get install dataset-fashion-mnist, "
            "or pass --fashion-dir)"
        )
    return load_idx_folder(data_dir, "Fashion-MNIST")


def load_usps(path: Path) -> tuple[list[Image.Image], np.ndarray]:
    """USPS (ESL `zip.test`): label then 256 values in [-1, 1], 1 is ink.

    Returned as dark ink on white paper, the way the digits were scanned, so that
    they go through the same preprocessing as any uploaded image.
    """
    text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()
    rows = np.array([line.split() for line in text.splitlines() if line.strip()], dtype=np.float32)
    labels = rows[:, 0].astype(np.uint8)
    grey = np.rint((1 - rows[:, 1:]) * 127.5).clip(0, 255).astype(np.uint8).reshape(-1, 16, 16)
    return [Image.fromarray(g, "L") for g in grey], labels


def load_semeion(path: Path) -> tuple[list[Image.Image], np.ndarray]:
    """Semeion: 256 binary pixels (1 is ink) then a one-hot label; as black on white."""
    rows = np.loadtxt(path, dtype=np.float32)
    labels = rows[:, 256:].argmax(axis=1).astype(np.uint8)
    grey = ((1 - rows[:, :256]) * 255).astype(np.uint8).reshape(-1, 16, 16)
    return [Image.fromarray(g, "L") for g in grey], labels
