"""`digitpad-data`: the stored examples exported for a person and for training, summed up,
reviewed (the ones the model disagrees with most first) and dropped."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.cli import data
from app.settings import get_settings
from app.web.main import create_app
from support.drawing import draw, encode

PNG = {"content-type": "image/png"}


@pytest.fixture
def taught(tmp_path: Path, monkeypatch) -> Path:
    """Four examples of two profiles in a fresh database: a 7, a 1 mislabelled 7, a 4, and A as not a digit."""
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    with TestClient(create_app(get_settings())) as client:
        for i, (drawing, label, kind) in enumerate(
            [
                (7, "7", "example"),
                (1, "7", "correction"),
                (4, "4", "example"),
                ("A", "not a digit", "example"),
            ]
        ):
            headers = {**PNG, "Digitpad-Profile": f"profile-{i % 2}-0123456789"}
            assert (
                client.post(
                    f"/examples?label={label}&kind={kind}", content=encode(draw(drawing)), headers=headers
                ).status_code
                == 201
            )
    yield tmp_path
    get_settings.cache_clear()


def test_export_writes_images_labels_and_a_datasheet_naming_nobody(taught, capsys):
    out = taught / "export"
    assert data.main(["export", "--out", str(out)]) == 0
    with (out / "labels.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [(r["label"], r["kind"], r["answer"], r["profile"]) for r in rows] == [
        ("7", "example", "7", "1"),
        ("7", "correction", "1", "2"),
        ("4", "example", "4", "1"),
        ("not a digit", "example", "not a digit", "2"),
    ]
    for row in rows:
        assert Image.open(out / row["file"]).size == (28, 28)
    sheet = (out / "datasheet.md").read_text()
    assert "4 examples from 2 profiles" in sheet and "- 1 -> 7: 1" in sheet
    assert "profile-0" not in (out / "labels.csv").read_text() + sheet


def test_stats_review_and_drop(taught, capsys):
    assert data.main(["stats"]) == 0
    assert "Taught: 3; corrections: 1." in capsys.readouterr().out
    assert data.main(["review", "--out", str(taught / "sheet.png"), "--top", "2"]) == 0
    ids = capsys.readouterr().out.split("ids: ")[1].split()
    assert ids[0] == "2"  # the 1 labelled 7: the one the model disagrees with most
    assert Image.open(taught / "sheet.png").size[0] > 0
    assert data.main(["drop", "2"]) == 0
    assert data.main(["stats"]) == 0
    assert "3 examples from 2 profiles" in capsys.readouterr().out.split("dropped 1 examples")[-1]
