"""Phone photos and scans of paper: each kind of failure seen in real photos people sent,
made from drawn digits (support.photos), read through /predict as the service reads them."""

import io

import pytest
from PIL import Image

from support.photos import CASES, multi_picture_jpeg

DIGITS = (0, 2, 4, 7)


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_photo_is_read(client, case):
    read = []
    for digit in DIGITS:
        answer = client.post("/predict", content=CASES[case](digit), headers={"content-type": "image/jpeg"})
        assert answer.status_code == 200, answer.json()
        read.append(answer.json()["digit"] if answer.json()["is_digit"] else None)
    assert read == list(DIGITS)


def test_an_mpo_is_its_first_frame(client):
    data = multi_picture_jpeg(7)
    assert Image.open(io.BytesIO(data)).format == "MPO"
    answer = client.post("/read", content=data, headers={"content-type": "image/jpeg"})
    assert answer.status_code == 200
    assert answer.json()["number"] == "7"
