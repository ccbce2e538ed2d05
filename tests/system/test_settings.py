"""app.settings: where each model's folder is, including the layout of the release before."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from support.paths import ROOT


def test_each_model_is_in_a_folder_of_its_name():
    settings = Settings(model_dir=ROOT / "models")
    assert settings.model_folders() == {name: ROOT / "models" / name for name in settings.models}
    assert all((folder / "model_card.json").is_file() for folder in settings.model_folders().values())


def test_a_model_dir_laid_out_as_before_still_serves_its_digit_model_from_the_top(tmp_path: Path):
    (tmp_path / "model_card.json").write_text((ROOT / "models" / "digits" / "model_card.json").read_text())
    settings = Settings(model_dir=tmp_path)
    assert settings.model_folder("digits") == tmp_path
    assert settings.model_folder("dense") == tmp_path / "dense"
    (tmp_path / "digits").mkdir()
    (tmp_path / "digits" / "model_card.json").write_text("{}")
    assert settings.model_folder("digits") == tmp_path / "digits"
