"""The digit model on KServe's model server, as its custom-model documentation writes
one: a `kserve.Model` subclass that loads in `__init__` and answers the Open Inference
Protocol (v2) in `predict`, started by `ModelServer().start([model])`.

    python kserve_server.py --http_port 8080 --grpc_port 8081

Clients send the PNG as base64 in a BYTES input, as KServe's image examples do; the
answer is two outputs, `digit` and `probabilities`. Everything else is KServe's
default: one worker, the gRPC server beside HTTP, latency logging on.
"""

from __future__ import annotations

import base64

from digit_reader import DigitReader
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer
from kserve.utils.utils import generate_uuid


class Digits(Model):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.reader: DigitReader | None = None
        self.load()

    def load(self) -> bool:
        self.reader = DigitReader()
        self.ready = True
        return self.ready

    def predict(self, payload: InferRequest, headers: dict[str, str] | None = None) -> InferResponse:
        assert self.reader is not None
        answers = [self.reader.read(base64.b64decode(image)) for image in payload.inputs[0].data]
        outputs = [
            InferOutput("digit", [len(answers)], "INT32", [a["digit"] for a in answers]),
            InferOutput(
                "probabilities", [len(answers), 10], "FP32", [p for a in answers for p in a["probabilities"]]
            ),
        ]
        return InferResponse(payload.id or generate_uuid(), self.name, outputs)


if __name__ == "__main__":
    ModelServer().start([Digits("digits")])
