"""The digit model as an MLServer custom inference runtime: an `MLModel` subclass named
by model-settings.json beside it, served by `mlserver start` on this folder.

The input's content type (base64, in model-settings.json) tells MLServer's codecs to
turn the BYTES input into the PNGs' bytes; the answer is two outputs, `digit` and
`probabilities`. Everything else is MLServer's default, among it one inference worker
process apart from the HTTP server's (parallel_workers=1).
"""

from __future__ import annotations

from digit_reader import DigitReader
from mlserver import MLModel
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput


class DigitsRuntime(MLModel):
    async def load(self) -> bool:
        self.reader = DigitReader()
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        answers = [self.reader.read(image) for image in self.decode(payload.inputs[0])]
        return InferenceResponse(
            model_name=self.name,
            outputs=[
                ResponseOutput(
                    name="digit", shape=[len(answers)], datatype="INT32", data=[a["digit"] for a in answers]
                ),
                ResponseOutput(
                    name="probabilities",
                    shape=[len(answers), 10],
                    datatype="FP32",
                    data=[p for a in answers for p in a["probabilities"]],
                ),
            ],
        )
