"""The digit model as a BentoML service, as its documentation writes one: a class under
`@bentoml.service` that loads the model in `__init__`, with an `@bentoml.api` method,
served by `bentoml serve bentoml_service:Digits` from this folder.

The API's one positional-only argument is a file (BentoML's "root input"), so clients
send the PNG itself as the request body; BentoML stores it in a temporary file whose
path the method gets. The answer is JSON with `digit` and `probabilities`. Everything
else is BentoML's default: one worker process under its process manager.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import bentoml
from bentoml.validators import ContentType
from digit_reader import DigitReader


@bentoml.service
class Digits:
    def __init__(self) -> None:
        self.reader = DigitReader()

    @bentoml.api
    def predict(self, image: Annotated[Path, ContentType("image/png")], /) -> dict:
        answer = self.reader.read(image.read_bytes())
        return {"digit": answer["digit"], "probabilities": answer["probabilities"]}
