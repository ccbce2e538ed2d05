"""The strip reader's input and the decoding of its answer (app.core.strip)."""

import numpy as np
import pytest

from app.core.strip import (
    BLANK,
    CLASSES,
    HEIGHT,
    MARGIN,
    STEPS,
    STRIDE,
    WIDTH,
    box_in_field,
    decode,
    strip_input,
)


def ink_with_digits(count: int, width: int = 30, height: int = 60, gap: int = 10) -> np.ndarray:
    """An ink field of `count` upright bars ("1"s), `gap` px apart, with a margin."""
    ink = np.zeros((height + 40, 20 + count * (width + gap)), np.float32)
    for i in range(count):
        left = 20 + i * (width + gap)
        ink[20 : 20 + height, left + width // 2 - 3 : left + width // 2 + 3] = 1
    return ink


def test_a_strip_is_the_line_at_mnists_height_from_the_left():
    strip = strip_input(ink_with_digits(3))
    assert strip.pixels.shape == (HEIGHT, WIDTH)
    rows = np.flatnonzero(strip.pixels.any(axis=1))
    cols = np.flatnonzero(strip.pixels.any(axis=0))
    assert rows[-1] - rows[0] + 1 == 20  # MNIST's box
    assert cols[0] >= MARGIN and cols[0] <= MARGIN + 10
    assert strip.pixels.max() == pytest.approx(1.0)


def test_a_long_line_is_scaled_down_to_fit():
    strip = strip_input(ink_with_digits(20))
    cols = np.flatnonzero(strip.pixels.any(axis=0))
    assert cols[-1] < WIDTH - MARGIN + 1
    assert np.flatnonzero(strip.pixels.any(axis=1)).size < 20


def probabilities(path: list[int], peak: float = 0.9) -> np.ndarray:
    """A (STEPS, CLASSES) answer whose best path is `path`, then blanks."""
    out = np.full((STEPS, CLASSES), (1 - peak) / (CLASSES - 1), np.float32)
    labels = path + [BLANK] * (STEPS - len(path))
    out[np.arange(STEPS), labels] = peak
    return out


def test_decoding_collapses_repeats_and_drops_blanks():
    answer = probabilities([BLANK, 2, 2, BLANK, 2, 9, 9, 9, BLANK, 1])
    characters = decode(answer)
    assert [c.digit for c in characters] == [1, 1, 8, 0]
    assert characters[0].start == 1 * STRIDE and characters[0].stop == 3 * STRIDE
    for c in characters:
        assert c.probabilities.sum() == pytest.approx(1.0)
        assert c.confidence == pytest.approx(0.9)


def test_nothing_but_blanks_is_no_digits():
    assert decode(probabilities([])) == []


def test_a_characters_box_is_its_columns_in_the_ink_field():
    ink = ink_with_digits(2, width=40, height=80, gap=20)
    strip = strip_input(ink)
    columns = np.flatnonzero(strip.pixels.any(axis=0))
    first = columns[columns < columns.mean()]
    start, stop = first[0] // STRIDE * STRIDE, (first[-1] // STRIDE + 1) * STRIDE
    answer = probabilities([BLANK] * (start // STRIDE) + [5] * ((stop - start) // STRIDE))
    (character,) = decode(answer)
    left, top, right, bottom = box_in_field(strip, character, ink)
    bar = np.flatnonzero(ink.any(axis=0))[:6]
    assert left <= bar[0] and right >= bar[-1] + 1
    assert (top, bottom) == (20, 100)
