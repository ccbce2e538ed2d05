"""Teach it your handwriting, through the API: what a profile teaches changes its next
readings at once, and only its own; the examples API's answers and refusals."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from app.web.main import create_app
from support.drawing import STROKES, draw, encode, number

PNG = {"content-type": "image/png"}
Z2 = "2 like a crossed Z"
# Where each drawing lies on the 280x280 pad: the taught ones, and the one read after.
TAUGHT = [(0.15, 0.1, 0.85, 0.9), (0.2, 0.12, 0.8, 0.88), (0.12, 0.15, 0.88, 0.85)]
LATER = (0.25, 0.1, 0.75, 0.9)


def profile(name: str) -> dict[str, str]:
    return {"Digitpad-Profile": f"{name}-profile-0123456789"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = Settings(data_dir=tempfile.mkdtemp(prefix="digitpad-examples-"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def read(client: TestClient, image: bytes, who: str | None = None, path: str = "/read") -> dict:
    answer = client.post(path, content=image, headers={**PNG, **(profile(who) if who else {})})
    assert answer.status_code == 200, answer.text
    return answer.json()


def teach(client: TestClient, who: str, shape: str, label: str) -> list[int]:
    ids = []
    for box in TAUGHT:
        stored = client.post(
            f"/examples?label={label}", content=encode(draw(shape, box=box)), headers={**PNG, **profile(who)}
        )
        assert stored.status_code == 201, stored.text
        ids.append(stored.json()["id"])
    return ids


def test_what_a_profile_teaches_is_used_in_its_next_reading_and_forgotten_on_request(client):
    later = encode(draw(Z2, box=LATER))
    before = read(client, later, "teacher")
    assert before["number"] == "7" and before["digits"][0]["personal"] is False
    taught = teach(client, "teacher", Z2, "2")
    after = read(client, later, "teacher")
    assert after["number"] == "2" and after["sure"]
    assert after["digits"][0]["personal"] is True
    assert set(after["digits"][0]["nearest"]) == set(taught)
    assert read(client, later, "teacher", "/predict")["label"] == "2"  # /predict agrees
    assert read(client, later)["number"] == "7"  # without the profile: the network alone
    assert read(client, later, "someone-else")["number"] == "7"  # another profile
    assert client.delete("/examples", headers=profile("teacher")).json() == {"deleted": 3}
    assert read(client, later, "teacher")["number"] == "7"


def test_teaching_one_digit_leaves_the_others_and_non_digits_as_they_were(client):
    teach(client, "careful", Z2, "2")
    for shape in [*STROKES, "A", "m", "house", "t-shirt", "scribble", "smiley"]:
        for box in [*TAUGHT, LATER]:
            image = encode(draw(shape, box=box))
            alone, personal = read(client, image), read(client, image, "careful")
            assert (personal["number"], personal["reason"]) == (alone["number"], alone["reason"]), (
                shape,
                box,
            )


def test_a_digit_of_a_number_is_corrected_by_its_part(client):
    image = encode(number("17", size=200))
    reading = read(client, image, "numbers")
    assert reading["number"] == "17"
    stored = client.post(
        "/examples?label=1&kind=correction&part=0", content=image, headers={**PNG, **profile("numbers")}
    )
    assert (
        stored.status_code == 201 and stored.json()["answer"] == "1" and stored.json()["kind"] == "correction"
    )
    missing = client.post("/examples?label=1&part=2", content=image, headers={**PNG, **profile("numbers")})
    assert (missing.status_code, missing.json()["code"]) == (422, "no_such_part")


def test_the_page_s_strokes_are_taught_as_they_are_read(client):
    ink = {"width": 280, "height": 280, "pen": 20, "strokes": [[[140, 40], [140, 240]]]}
    stored = client.post("/examples?label=1", json={"ink": ink}, headers=profile("inky"))
    assert stored.status_code == 201 and stored.json()["answer"] == "1"


@pytest.mark.parametrize(
    ("path", "query", "headers", "status", "code"),
    [
        ("/examples", "?label=7", {}, 422, "bad_profile"),
        ("/examples", "?label=7", {"Digitpad-Profile": "short"}, 422, "bad_profile"),
        ("/examples", "?label=7", {"Digitpad-Profile": "has spaces in it 0123"}, 422, "bad_profile"),
        ("/examples", "?label=11", profile("x"), 422, "invalid_request"),
        ("/examples", "", profile("x"), 422, "invalid_request"),
        ("/examples", "?label=7&kind=other", profile("x"), 422, "invalid_request"),
        ("/examples", "?label=7&model=fashion", profile("x"), 422, "not_a_digit_model"),
        ("/read", "", {"Digitpad-Profile": "bad!profile!0123456789"}, 422, "bad_profile"),
    ],
)
def test_bad_requests_get_a_code_and_store_nothing(client, path, query, headers, status, code):
    answer = client.post(path + query, content=encode(draw(7)), headers={**PNG, **headers})
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert client.get("/examples", headers=profile("x")).json()["examples"] == []


def test_an_unusable_image_is_refused_before_anything_is_stored(client):
    answer = client.post("/examples?label=7", content=b"not an image", headers={**PNG, **profile("x")})
    assert (answer.status_code, answer.json()["code"]) == (400, "undecodable_image")
    assert client.get("/examples", headers=profile("x")).json()["examples"] == []


def test_a_profile_is_not_an_error_for_clothes(client):
    answer = client.post(
        "/predict?model=fashion", content=encode(draw(7)), headers={**PNG, **profile("teacher")}
    )
    assert answer.status_code == 200


def test_metrics_count_examples_and_the_confusions_people_correct(client):
    image = encode(draw(Z2, box=LATER))
    client.post("/examples?label=2&kind=correction", content=image, headers={**PNG, **profile("metrics")})
    text = client.get("/metrics").text
    assert 'digitpad_examples_stored_total{kind="correction"}' in text
    assert 'digitpad_corrections_total{answer="7",label="2"}' in text


def test_an_id_past_the_database_s_integers_is_a_422_not_an_overflow(client):
    answer = client.delete("/examples/311505234535167654100992", headers=profile("x"))
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request")


def test_an_example_s_id_has_one_spelling(client):
    stored = client.post("/examples?label=7", content=encode(draw(7)), headers={**PNG, **profile("ids")})
    example = stored.json()["id"]
    for spelling in (f"0_{example}", f"+{example}", f"0{example}", f"{example}.0"):  # int() reads them all
        answer = client.delete(f"/examples/{spelling}", headers=profile("ids"))
        assert answer.status_code == 422 and answer.json()["code"] == "invalid_request", spelling
    assert [e["id"] for e in client.get("/examples", headers=profile("ids")).json()["examples"]] == [example]
    assert client.delete(f"/examples/{example}", headers=profile("ids")).status_code == 204
