"""app.serving.registry: the models served, by name and by what they can do; a version
swapped in whole, the one it replaces kept for the requests that name it."""

from __future__ import annotations

import pytest

from app.core.classifier import Classifier
from app.core.errors import Code, Refusal
from app.serving.registry import EARLIER_KEPT, Registry
from app.settings import Settings

NAMES = ["fashion", "digits", "dense"]  # a default that reads no digits


@pytest.fixture(scope="module")
def loaded() -> dict[str, Classifier]:
    folders = Settings().model_folders()
    return {name: Classifier.load(name, folders[name]) for name in NAMES}


def test_the_default_is_the_first_and_a_name_it_does_not_serve_is_refused(loaded):
    registry = Registry(NAMES, loaded.values())
    assert registry.get().name == "fashion" and registry.get("dense").name == "dense"
    with pytest.raises(Refusal) as refused:
        registry.get("nope")
    assert refused.value.code is Code.UNKNOWN_MODEL


def test_a_model_that_did_not_load_is_named_but_not_ready(loaded):
    registry = Registry(NAMES, [loaded["digits"]])
    assert not registry.ready and registry.versions()["fashion"] is None
    with pytest.raises(Refusal) as refused:
        registry.get("fashion")
    assert refused.value.code is Code.MODEL_NOT_LOADED


@pytest.mark.parametrize("ability", ["read_numbers", "learn_personally", "look_inside"])
def test_by_ability_the_first_model_that_can_and_a_named_one_that_cannot_is_refused(loaded, ability):
    registry = Registry(NAMES, loaded.values())
    assert registry.able(ability).name == "digits"
    assert registry.able(ability, "dense").name == "dense"
    with pytest.raises(Refusal) as refused:
        registry.able(ability, "fashion")
    assert refused.value.code is Code.NOT_A_DIGIT_MODEL


def test_a_swap_serves_the_new_version_and_keeps_the_old_for_requests_that_name_it(loaded):
    registry = Registry(NAMES, loaded.values())
    old = loaded["digits"]
    new = Classifier(
        old.name, old.predictor, old.card.model_copy(update={"version": "v-new"}), "litert", old.limits
    )
    assert registry.swap(new) is old
    assert registry.get("digits") is new and registry.get("digits", old.version) is old
    with pytest.raises(Refusal) as refused:
        registry.get("digits", "v-never")
    assert refused.value.code is Code.UNKNOWN_MODEL


def test_only_a_few_earlier_versions_stay_loaded(loaded):
    registry = Registry(NAMES, loaded.values())
    model = loaded["digits"]
    for i in range(EARLIER_KEPT + 2):
        registry.swap(
            Classifier(
                model.name,
                model.predictor,
                model.card.model_copy(update={"version": f"v{i}"}),
                "litert",
                model.limits,
            )
        )
    with pytest.raises(Refusal):
        registry.get("digits", "v0")
    assert registry.get("digits", f"v{EARLIER_KEPT}").version == f"v{EARLIER_KEPT}"
