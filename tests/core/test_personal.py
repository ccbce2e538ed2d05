"""app.core.personal, with a made-up feature space: a person's examples move the answer only
for drawings that resemble them, name the nearest, and a doodle they taught as "not a digit"
raises that score near it; profiles update without being rebuilt."""

from __future__ import annotations

import numpy as np

from app.core.personal import NEAREST, VARIANTS, Example, Profile, variants
from app.core.tasks import NOT_A_DIGIT

OUTPUTS = 12


def features(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Uniform outputs; as features, the input's left and right halves' ink."""
    halves = inputs.reshape(len(inputs), 28, 2, 14).sum(axis=(1, 3))
    return np.full((len(inputs), OUTPUTS), 1 / OUTPUTS), halves


def ink(left: float, right: float) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[10:18, 4:10], image[10:18, 18:24] = left, right
    return image


def test_each_example_is_kept_as_its_variants():
    assert variants(ink(1, 0)).shape == (VARIANTS, 28, 28)
    profile = Profile.build([Example(1, 7, ink(1, 0)), Example(2, 3, ink(0, 1))], features)
    assert len(profile) == 2 and profile.nbytes > 0


def test_a_drawing_like_an_example_leans_to_its_label_and_names_it():
    profile = Profile.build([Example(1, 7, ink(1, 0)), Example(2, 3, ink(0, 1))], features)
    outputs, hidden = features(np.stack([ink(1, 0), ink(0, 1)]))
    adjusted, nearest = profile.adjust(outputs, hidden)
    assert adjusted[0, :NOT_A_DIGIT].argmax() == 7 and adjusted[1, :NOT_A_DIGIT].argmax() == 3
    assert nearest[0][0] == 1 and nearest[1][0] == 2 and all(len(ids) <= NEAREST for ids in nearest)


def test_a_doodle_taught_as_not_a_digit_raises_that_score_near_it():
    profile = Profile.build([Example(1, NOT_A_DIGIT, ink(1, 0))], features)
    outputs, hidden = features(ink(1, 0)[None])
    adjusted, _ = profile.adjust(outputs, hidden)
    assert adjusted[0, NOT_A_DIGIT:].sum() > outputs[0, NOT_A_DIGIT:].sum()


def test_an_update_drops_what_is_forgotten_and_adds_what_is_new():
    profile = Profile.build([Example(1, 7, ink(1, 0)), Example(2, 3, ink(0, 1))], features)
    updated = profile.update({2}, [Example(3, 5, ink(1, 1))], features)
    assert len(updated) == 2 and set(updated.ids.tolist()) == {2, 3}
