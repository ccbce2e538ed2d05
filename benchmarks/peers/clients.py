"""What the benchmark's client sends each peer and how it reads the answers: the page's
canvas PNG in each framework's natural encoding, and the digit and probabilities from
the body. Pure functions over bytes, so tests check them without the frameworks."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass

from support import loadgen

OIP_INFER = "/v2/models/digits/infer"
GRADIO_API = "/gradio_api"


class BadAnswer(ValueError):
    """A body that does not hold a digit and ten probabilities."""


@dataclass(frozen=True)
class Client:
    request: bytes  # the first request of an exchange, built once
    read: Callable[[bytes], tuple[int, list[float]]]  # the (last) answer's digit and probabilities
    follow: loadgen.Follow | None = None  # the rest of the exchange, where it has more than one request
    encoding: str = ""  # in words, for the report


def _answer(digit: object, probabilities: object) -> tuple[int, list[float]]:
    if not isinstance(digit, int) or not isinstance(probabilities, list) or len(probabilities) != 10:
        raise BadAnswer(f"digit {digit!r}, probabilities {probabilities!r}")
    return digit, [float(p) for p in probabilities]


def read_fields(body: bytes) -> tuple[int, list[float]]:
    """A JSON object with `digit` and `probabilities` (digitpad's /predict, LitServe, BentoML)."""
    answer = json.loads(body)
    return _answer(answer.get("digit"), answer.get("probabilities"))


def read_oip(body: bytes) -> tuple[int, list[float]]:
    """An Open Inference Protocol response of one image: outputs `digit` and `probabilities`."""
    outputs = {output["name"]: output["data"] for output in json.loads(body)["outputs"]}
    return _answer(outputs.get("digit", [None])[0], outputs.get("probabilities"))


def oip_body(png: bytes) -> bytes:
    """One PNG in a BYTES input, base64 in the JSON: what a client of KServe's or MLServer's
    documentation sends (their REST examples put images this way, not in binary tensors)."""
    data = base64.b64encode(png).decode()
    return json.dumps(
        {"inputs": [{"name": "image_bytes", "shape": [1], "datatype": "BYTES", "data": [data]}]}
    ).encode()


def digitpad(png: bytes) -> Client:
    return Client(loadgen.build_request("/predict", png, "image/png"), read_fields, encoding="raw PNG body")


def oip(png: bytes) -> Client:
    return Client(
        loadgen.build_request(OIP_INFER, oip_body(png), "application/json"),
        read_oip,
        encoding="OIP JSON, PNG base64 in a BYTES input",
    )


def litserve(png: bytes) -> Client:
    """LitServe's default request format is JSON (a form needs python-multipart, which it
    does not install): the PNG base64 in a field."""
    body = json.dumps({"image": base64.b64encode(png).decode()}).encode()
    return Client(
        loadgen.build_request("/predict", body, "application/json"),
        read_fields,
        encoding="JSON, PNG base64 in a field",
    )


def bentoml(png: bytes) -> Client:
    """An API whose one positional-only argument is a file takes the file as the body."""
    return Client(loadgen.build_request("/predict", png, "image/png"), read_fields, encoding="raw PNG body")


def read_gradio(body: bytes) -> tuple[int, list[float]]:
    """The server-sent events of /gradio_api/call/<api>/<event>: the `complete` event's
    data is the outputs, here one gr.Label: the top label and each class's confidence."""
    events = body.decode().replace("\r\n", "\n").split("\n\n")
    fields = [dict(line.split(": ", 1) for line in event.splitlines() if ": " in line) for event in events]
    complete = [f["data"] for f in fields if f.get("event") == "complete"]
    if not complete:
        raise BadAnswer(f"no complete event in {body[:200]!r}")
    label = json.loads(complete[0])[0]
    confidences = {c["label"]: c["confidence"] for c in label.get("confidences", [])}
    digit = int(label["label"]) if str(label.get("label")).isdigit() else None
    return _answer(digit, [confidences.get(str(d)) for d in range(10)] if len(confidences) == 10 else None)


def gradio_follow(api: str = "predict") -> loadgen.Follow:
    """After the upload, the call that names the uploaded file, then the GET of its result:
    Gradio's documented HTTP use of an app with a file input (what gradio_client does too)."""

    def follow(step: int, body: bytes) -> bytes | None:
        if step == 0:  # the upload's answer: the paths the server stored the files at
            path = json.loads(body)[0]
            call = {"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}]}
            return loadgen.build_request(
                f"{GRADIO_API}/call/{api}", json.dumps(call).encode(), "application/json"
            )
        if step == 1:  # the call's answer: the event whose result to stream
            return loadgen.get_request(f"{GRADIO_API}/call/{api}/{json.loads(body)['event_id']}")
        return None

    return follow


def gradio(png: bytes) -> Client:
    return Client(
        loadgen.multipart_request(f"{GRADIO_API}/upload", "seven.png", png, name="files"),
        read_gradio,
        gradio_follow(),
        encoding="upload (multipart), call naming the file, GET of the server-sent events",
    )


def is_seven(client: Client) -> Callable[[bytes], bool]:
    """The check every answer passes: a readable answer that says 7."""

    def check(body: bytes) -> bool:
        try:
            return client.read(body)[0] == 7
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):  # BadAnswer, bad JSON too
            return False

    return check
