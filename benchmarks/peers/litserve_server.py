"""The digit model on LitServe, as its documentation writes a server: a `LitAPI` with
setup, decode_request, predict and encode_response, run by `LitServer(api).run(port=...)`.

    python litserve_server.py 8000

Clients send JSON, LitServe's default request format, with the PNG base64 in `image`
(form uploads would need python-multipart, which LitServe does not install); the answer
is JSON with `digit` and `probabilities`. Everything else is LitServe's default: accelerator "auto"
(the CPU here), one inference worker process per device, and its API server in a process
of its own.
"""

from __future__ import annotations

import base64
import sys

import litserve as ls
from digit_reader import Answer, DigitReader


class DigitsAPI(ls.LitAPI):
    def setup(self, device: str) -> None:
        self.reader = DigitReader()

    def decode_request(self, request: dict) -> bytes:
        return base64.b64decode(request["image"])

    def predict(self, x: bytes) -> Answer:
        return self.reader.read(x)

    def encode_response(self, output: Answer) -> dict:
        return {"digit": output["digit"], "probabilities": output["probabilities"]}


if __name__ == "__main__":
    server = ls.LitServer(DigitsAPI(), accelerator="auto")
    server.run(
        port=int(sys.argv[1]), generate_client_file=False
    )  # its default writes client.py into the checkout
