"""The models' README.md, the Hugging Face Hub's card format: written from their
model_card.json by training.hub_card, and never drifting from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.core.card import ModelCard, NumberMetrics, NumberScores
from training.hub_card import FOLDERS, hub_readme, main

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = [ROOT / folder for folder in FOLDERS if (ROOT / folder / "model_card.json").is_file()]
REQUIRED = {"license", "library_name", "tags", "datasets", "metrics", "model-index"}


def front_matter(readme: str) -> dict:
    assert readme.startswith("---\n")
    head, _, body = readme[4:].partition("\n---\n")
    assert body.strip(), "no body after the front matter"
    return yaml.safe_load(head)


def test_the_served_models_are_there() -> None:
    assert {folder.relative_to(ROOT).as_posix() for folder in COMMITTED} >= {
        "models/digits",
        "models/dense",
        "models/fashion",
    }


@pytest.mark.parametrize("folder", COMMITTED, ids=lambda folder: folder.relative_to(ROOT).as_posix())
def test_readme_is_the_card(folder: Path) -> None:
    card = ModelCard.read(folder / "model_card.json")
    readme = (folder / "README.md").read_text()
    assert readme == hub_readme(card), f"run: python -m training.hub_card {folder.relative_to(ROOT)}"
    meta = front_matter(readme)
    assert meta.keys() >= REQUIRED
    assert meta["license"] == "mit"
    assert meta["library_name"] == "keras"
    assert meta["metrics"] == ["accuracy"]
    assert meta["datasets"] == (["fashion_mnist"] if card.task == "fashion" else ["mnist"])
    (model,) = meta["model-index"]
    assert model["results"]
    for result in model["results"]:
        assert result["task"]["type"] == (
            "image-to-text" if card.task == "numbers" else "image-classification"
        )
        assert {"name", "type"} <= result["dataset"].keys()
        for metric in result["metrics"]:
            assert metric.keys() >= {"type", "value", "name"}
            assert metric["type"] in ("accuracy", "exact_match") and 0 < metric["value"] <= 1


def test_figures_come_from_the_card() -> None:
    card = ModelCard.read(ROOT / "models" / "digits" / "model_card.json")
    (model,) = front_matter(hub_readme(card))["model-index"]
    mnist = next(result for result in model["results"] if result["dataset"]["type"] == "mnist")
    assert mnist["metrics"][0]["value"] == round(card.metrics.mnist_test.accuracy, 4)  # type: ignore[union-attr]


def test_odd_strings_stay_valid_yaml() -> None:
    card = ModelCard.read(ROOT / "models" / "digits" / "model_card.json")
    odd = card.model_copy(update={"name": 'yes: "no" # not a comment\n- x'})
    (model,) = front_matter(hub_readme(odd))["model-index"]
    assert model["name"] == f"digitpad-{odd.name}"


def test_a_strip_reader_card() -> None:
    # models/numbers is not always there: its card's kind of figures still makes a README.
    card = ModelCard.read(ROOT / "models" / "digits" / "model_card.json")
    numbers = card.model_copy(
        update={
            "name": "numbers",
            "task": "numbers",
            "not_a_digit": None,
            "metrics": NumberMetrics(
                sets={"plain": NumberScores(numbers=500, exact=0.9, digits_right=0.97)},
                not_numbers={"letters": 0.8},
            ),
        }
    )
    meta = front_matter(hub_readme(numbers))
    assert meta["model-index"][0]["results"][0]["metrics"][0]["value"] == 0.9


def test_command_rewrites_the_readme(tmp_path: Path) -> None:
    (tmp_path / "model_card.json").write_text((ROOT / "models" / "digits" / "model_card.json").read_text())
    assert main([str(tmp_path)]) == 0
    assert (tmp_path / "README.md").read_text() == (ROOT / "models" / "digits" / "README.md").read_text()
    assert main([str(tmp_path / "missing")]) == 2
