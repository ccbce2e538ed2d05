"""Where things are: the repository, and the data beside it (../shared/data)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
MNIST_DIR = SHARED_DATA / "mnist"


def needs_mnist():
    """A pytest mark: skip where MNIST's IDX files are not beside the checkout."""
    import pytest

    return pytest.mark.skipif(not MNIST_DIR.is_dir(), reason=f"MNIST files not found in {MNIST_DIR}")
