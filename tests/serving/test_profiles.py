"""app.serving.profiles: each profile's examples as a model sees them, kept in memory within
a size, the least recently used dropped first; none for a model that does not learn."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from app.core.tasks import DIGITS, FASHION
from app.serving.profiles import Profiles
from app.store.examples import profile_key
from tests.store.test_examples import add, store


def features(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A network's outputs and last hidden layer, as Profiles asks them of a model."""
    return np.full((len(inputs), 12), 1 / 12), inputs.reshape(len(inputs), -1)[:, :64] + 1


MODEL = SimpleNamespace(
    can=DIGITS.can, name="digits", version="v1", predictor=SimpleNamespace(features=features)
)


def test_the_profiles_kept_in_memory_stay_within_their_bytes(tmp_path):
    examples = store(f"sqlite:///{tmp_path / 'examples.db'}")
    for who, many in (("a", 1), ("b", 1), ("c", 1), ("large", 8)):
        for _ in range(many):
            add(examples, who)
    bound = 2 * Profiles(examples, 2**30).get("a", MODEL).nbytes  # room for two
    profiles = Profiles(examples, bound)

    def kept() -> list[str]:
        assert sum(profile.nbytes for _, profile in profiles._kept.values()) <= bound
        return [key[0] for key in profiles._kept]

    for who in ("a", "b", "a", "c"):  # c drops b, the least recently used
        assert profiles.get(who, MODEL) is not None
    assert kept() == [profile_key("a"), profile_key("c")]
    assert profiles.get("large", MODEL) is not None  # read with its examples, but larger than all: not kept
    assert kept() == []


def test_none_for_a_profile_without_examples_or_a_model_that_does_not_learn(tmp_path):
    examples = store(f"sqlite:///{tmp_path / 'examples.db'}")
    add(examples, "a")
    profiles = Profiles(examples, 2**30)
    assert profiles.get("nobody", MODEL) is None
    assert profiles.get("a", SimpleNamespace(**{**vars(MODEL), "can": FASHION.can})) is None
    assert profiles.get("a", MODEL) is not None
