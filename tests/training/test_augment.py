"""The augmentation layers: what each does to a digit, or to clothes, checked against plain NumPy."""

import numpy as np

from training.augment import (
    RandomAffine,
    RandomSoften,
    RandomStrokeWidth,
    _window3,
    augmenter,
    clothes_augmenter,
)
from training.tf import ops


def digits(n: int = 6) -> np.ndarray:
    images = np.zeros((n, 28, 28, 1), np.float32)
    for i in range(n):
        images[i, 4 + i % 6 : 24, 10 + i % 3 : 13 + i % 3] = 1.0  # an upright stroke: a "1"
        images[i, 4 + i % 6, 6:20] = 0.7  # and a bar across, off-centre
    return images


def test_window3_is_a_3x3_max_min_and_sum():
    images = np.random.default_rng(0).random((3, 9, 11, 1)).astype(np.float32)
    padded = np.pad(images, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="edge")
    windows = np.stack([padded[:, i : i + 9, j : j + 11] for i in range(3) for j in range(3)])
    assert np.allclose(ops.convert_to_numpy(_window3(images, ops.maximum)), windows.max(axis=0))
    assert np.allclose(ops.convert_to_numpy(_window3(images, ops.minimum)), windows.min(axis=0))
    assert np.allclose(ops.convert_to_numpy(_window3(images, ops.add)), windows.sum(axis=0), atol=1e-5)


def test_layers_leave_images_alone_outside_training():
    images = digits()
    for layer in (
        RandomStrokeWidth(seed=1),
        RandomAffine(seed=1),
        RandomSoften(seed=1),
        augmenter(1),
        clothes_augmenter(1),
    ):
        assert np.array_equal(ops.convert_to_numpy(layer(images, training=False)), images)


def test_affine_without_range_is_the_identity_and_a_shift_moves_the_ink():
    images = digits()
    still = RandomAffine(degrees=0, zoom=0, shift=0, seed=1)(images, training=True)
    assert np.allclose(ops.convert_to_numpy(still), images, atol=1e-5)
    moved = ops.convert_to_numpy(RandomAffine(degrees=0, zoom=0, shift=3, seed=1)(images, training=True))
    assert not np.allclose(moved, images, atol=0.1)
    assert np.allclose(moved.sum(axis=(1, 2, 3)), images.sum(axis=(1, 2, 3)), rtol=0.15)  # moved, not lost


def test_stroke_width_and_softening_stay_between_erosion_dilation_and_blur():
    images = digits(32)
    dilated = ops.convert_to_numpy(_window3(images, ops.maximum))
    eroded = ops.convert_to_numpy(_window3(images, ops.minimum))
    widened = ops.convert_to_numpy(RandomStrokeWidth(seed=2)(images, training=True))
    assert np.all(widened >= eroded - 1e-6) and np.all(widened <= dilated + 1e-6)
    assert (widened.sum(axis=(1, 2, 3)) > images.sum(axis=(1, 2, 3)) + 1).any()  # some fatter
    assert (widened.sum(axis=(1, 2, 3)) < images.sum(axis=(1, 2, 3)) - 1).any()  # some thinner
    softened = ops.convert_to_numpy(RandomSoften(seed=3)(images, training=True))
    unchanged = np.all(softened == images, axis=(1, 2, 3))
    assert 0 < unchanged.sum() < len(images)  # about half stay sharp
    mean = ops.convert_to_numpy(_window3(images, ops.add)) / 9
    assert np.all(softened >= np.minimum(images, mean) - 1e-6) and np.all(
        softened <= np.maximum(images, mean) + 1e-6
    )


def shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """`image` moved by whole pixels, black brought in at the edges."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def test_clothes_are_mirrored_and_moved_by_whole_pixels_never_resampled():
    images = np.random.default_rng(0).integers(1, 256, (64, 28, 28, 1)).astype(np.float32) / 255
    moved = ops.convert_to_numpy(clothes_augmenter(3)(images, training=True))
    seen = set()
    for before, after in zip(images, moved, strict=True):
        found = [
            (flip, dy, dx)
            for flip in (False, True)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.array_equal(after, shifted(before[:, ::-1] if flip else before, dy, dx))
        ]
        assert found, "not a mirror image moved by at most 2 whole pixels"
        seen.add(found[0])
    assert {flip for flip, _, _ in seen} == {False, True}
    assert any(dy or dx for _, dy, dx in seen)
