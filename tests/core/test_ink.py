"""The page's strokes (JSON ink) read as the PNG of the same drawing does."""

import itertools
import json
import threading
from typing import NoReturn

import numpy as np
import pytest

from app.core.errors import Code, Refusal
from app.core.ink import MAX_POINTS, MAX_STROKE_POINTS, MAX_STROKES, Ink, render
from app.web import bodies
from support.drawing import SHAPES, STROKES, draw, encode

SIDE, PEN = 280, 20  # the pad's canvas and pen, as support.drawing.draw has them
BOX = (0.15, 0.1, 0.85, 0.9)


def ink(drawing: int | str, steps: int = 12) -> dict:
    """The drawing's strokes as the page records them: a point every few pixels, as pointer
    events come (the page's smoothing then follows the line)."""
    left, top, right, bottom = BOX
    strokes = []
    for stroke in {**STROKES, **SHAPES}[drawing]:
        corners = np.array([(left + x * (right - left), top + y * (bottom - top)) for x, y in stroke]) * SIDE
        dense = [corners[:1]] + [
            a + (b - a) * np.linspace(0, 1, steps + 1)[1:, None] for a, b in itertools.pairwise(corners)
        ]
        strokes.append(np.concatenate(dense).tolist())
    return {"width": SIDE, "height": SIDE, "pen": PEN, "strokes": strokes}


@pytest.mark.parametrize("path", ["/predict", "/read", "/explain"])
@pytest.mark.parametrize("drawing", [*STROKES, "A", "m", "house"])
def test_ink_reads_as_the_png_of_the_same_drawing(client, path, drawing):
    as_png = client.post(path, content=encode(draw(drawing)), headers={"content-type": "image/png"})
    as_ink = client.post(path, json={"ink": ink(drawing)})
    assert as_png.status_code == as_ink.status_code == 200, as_ink.text
    png, strokes = as_png.json(), as_ink.json()
    if path == "/read":
        assert strokes["number"] == png["number"]
    else:
        assert strokes["is_digit"] == png["is_digit"]
        if png["is_digit"]:  # a non-digit's best guess may be any digit
            assert strokes["digit"] == png["digit"]


@pytest.mark.parametrize(
    "body",
    [
        {"ink": {"width": 0, "height": 280, "pen": 20, "strokes": []}},
        {"ink": {"width": 280, "height": 280, "pen": 20}},
        {"ink": ink(7), "image": "iVBORw0KGgo="},
        {"ink": {"width": 280, "height": 280, "pen": 20, "strokes": [[["a", 1]]]}},
        # Strictly numbers: no string or boolean read as one.
        {"ink": {"width": 280, "height": 280, "pen": 20, "strokes": [[["12", 1]]]}},
        {"ink": {"width": 280, "height": 280, "pen": 20, "strokes": [[[True, 1]]]}},
        {"ink": {"width": "280", "height": 280, "pen": 20, "strokes": [[[1, 1]]]}},
        {"ink": {"width": 280, "height": 280, "pen": False, "strokes": [[[1, 1]]]}},
        # Past the caps, however few points in all.
        {"ink": {"width": 280, "height": 280, "pen": 20, "strokes": [[]] * MAX_STROKES + [[[1, 1]]]}},
        {"ink": {"width": 280, "height": 280, "pen": 20, "strokes": [[[1, 1]] * (MAX_STROKE_POINTS + 1)]}},
    ],
)
def test_bad_ink_is_a_422_with_a_code(client, body):
    response = client.post("/predict", json=body)
    assert response.status_code == 422 and response.json()["code"] == "bad_json"


@pytest.mark.parametrize("path", ["/predict", "/read"])
@pytest.mark.parametrize("key", ["ink", "\\u0069nk"])
def test_an_ink_bomb_is_a_413_before_it_is_parsed(client, monkeypatch, path, key):
    monkeypatch.setattr(bodies, "_from_json", lambda raw: pytest.fail("parsed"))
    # The probe's: millions of empty strokes, then one point (9.7 MB, under the body limit).
    bomb = (
        f'{{"{key}": {{"width": 280, "height": 280, "pen": 20, "strokes": [{"[]," * 3_300_000}[[1, 1]]]}}}}'
    )
    response = client.post(path, content=bomb, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_the_largest_drawing_within_the_caps_fits_the_ink_body_limit(client):
    far = -1234.5678901234  # as many digits as a double prints
    strokes = [[[far, far]] * (MAX_POINTS // MAX_STROKES)] * MAX_STROKES
    body = json.dumps({"ink": {"width": 4096, "height": 4096, "pen": 20, "strokes": strokes}}, indent=1)
    assert len(body) <= bodies.MAX_INK_BYTES
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["code"] == "no_ink"  # parsed, drawn off the canvas


def test_large_json_is_parsed_in_the_pool(client, monkeypatch):
    threads = []

    def parse(raw: bytes) -> NoReturn:
        threads.append(threading.current_thread().name)
        raise Refusal(Code.BAD_JSON, "noted")

    monkeypatch.setattr(bodies, "_from_json", parse)
    for points in (1, bodies.INLINE_JSON_BYTES):  # a few bytes, and over INLINE_JSON_BYTES
        client.post(
            "/predict", json={"ink": {"width": 280, "height": 280, "pen": 20, "strokes": [[[1, 1]] * points]}}
        )
    assert not threads[0].startswith("classify") and threads[1].startswith("classify")


def test_ink_without_strokes_has_no_ink(client):
    response = client.post("/read", json={"ink": {"width": 280, "height": 280, "pen": 20, "strokes": []}})
    assert response.status_code == 422 and response.json()["code"] == "no_ink"


def test_too_many_points_or_too_big_a_canvas_are_refused():
    with pytest.raises(Refusal) as caught:
        render(Ink(280, 280, 20, [[(1.0, 1.0)] * (MAX_POINTS + 1)]))
    assert caught.value.code == Code.BAD_INK
    with pytest.raises(Refusal):
        render(Ink(10**6, 280, 20, [[(1.0, 1.0)]]))


def test_boxes_are_in_the_strokes_units(client):
    as_png = client.post("/read", content=encode(draw(4)), headers={"content-type": "image/png"}).json()
    as_ink = client.post("/read", json={"ink": ink(4)}).json()
    assert as_png["digits"][0]["box"] == pytest.approx(as_ink["digits"][0]["box"], abs=6)


@pytest.mark.parametrize(
    "ink_",
    [
        Ink(5e-324, 5e-324, 5e-324, []),  # a canvas too small to draw on
        Ink(280, 280, 20, [[(float("nan"), 1.0)]]),
        Ink(280, 280, 20, [[(1e300, 1.0), (2.0, 2.0)]]),  # far outside the canvas
    ],
)
def test_degenerate_ink_is_refused(ink_):
    with pytest.raises(Refusal) as caught:
        render(ink_)
    assert caught.value.code == Code.BAD_INK
