import gzip
import subprocess
import sys

import numpy as np
import pytest

from support.paths import MNIST_DIR, ROOT, SHARED_DATA, needs_mnist
from training.data import DataError, load_mnist, load_semeion, load_usps, read_idx


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 0x0800 | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def images() -> np.ndarray:
    return np.arange(3 * 28 * 28, dtype=np.uint32).reshape(3, 28, 28).astype(np.uint8)


def test_reads_plain_and_gzipped_idx(tmp_path, images):
    (tmp_path / "plain").write_bytes(idx_bytes(images))
    (tmp_path / "packed.gz").write_bytes(gzip.compress(idx_bytes(images)))
    np.testing.assert_array_equal(read_idx(tmp_path / "plain", 3), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "packed.gz", 3), images)


def test_bad_magic_number_is_a_clear_error(tmp_path, images):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(images))
    with pytest.raises(DataError, match="bad magic number 0x00000803, expected 0x00000801"):
        read_idx(path, 1)


def test_truncated_file_is_a_clear_error(tmp_path, images):
    path = tmp_path / "short"
    path.write_bytes(idx_bytes(images)[:-10])
    with pytest.raises(DataError, match="header says shape"):
        read_idx(path, 3)


def test_corrupt_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(b"\x1f\x8b" + b"\x00" * 20)
    with pytest.raises(DataError, match="cannot read"):
        read_idx(path, 3)


def test_missing_or_empty_folder(tmp_path):
    with pytest.raises(DataError, match="no such MNIST data folder"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(DataError, match="no train-images-idx3-ubyte"):
        load_mnist(tmp_path)


@needs_mnist()
def test_official_mnist_with_provenance():
    mnist = load_mnist(MNIST_DIR)
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    files = mnist.provenance["files"]
    assert files["t10k-labels-idx1-ubyte.gz"] == {"count": 10000, "md5": "ec29112dd5afa0611ce80d1b7f02629c"}


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared data not found")
def test_evaluation_sets_load_as_dark_ink_on_white():
    usps, usps_labels = load_usps(SHARED_DATA / "usps" / "zip.test.gz")
    semeion, semeion_labels = load_semeion(SHARED_DATA / "semeion" / "semeion.data")
    assert (len(usps), len(semeion)) == (2007, 1593)
    assert set(usps_labels) == set(semeion_labels) == set(range(10))
    for image in (usps[0], semeion[0]):
        pixels = np.asarray(image)
        assert image.size == (16, 16) and np.median(pixels) > 200  # mostly white paper


@pytest.mark.parametrize(
    "command",
    [["training.train"], ["training.train", "--recipe", "dense"], ["training.evaluate"]],
    ids=["train", "train-dense", "evaluate"],
)
def test_wrong_data_dir_is_one_line_not_a_traceback(tmp_path, command):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    output = ["--out", str(tmp_path / "out")] if command[0] == "training.train" else []
    for data_dir in (tmp_path / "missing", tmp_path):
        result = subprocess.run(
            [sys.executable, "-m", *command, "--data-dir", str(data_dir), *output],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 2
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
        assert not (tmp_path / "out").exists()


def test_offline_download_is_one_clear_error(monkeypatch):
    import keras

    def offline() -> None:
        raise OSError("URL fetch failure on https://storage.googleapis.com/...: no route to host")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError, match=r"could not download MNIST .*pass --data-dir"):
        load_mnist(None)
