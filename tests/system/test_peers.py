"""The peers benchmark's client side (benchmarks/peers): each peer's request carries the
page's canvas, each parser reads a sample answer of its framework and refuses a wrong
one, and the load generator follows Gradio's three-request exchange to its streamed
answer. No framework is installed for these: the servers themselves run in
`python -m benchmarks.peers`."""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from app.core.classifier import Classifier
from app.core.decode import decode
from app.core.limits import Limits
from benchmarks.peers import HERE, PEERS, clients
from support import loadgen
from support.paths import ROOT
from support.servers import CANVAS

CANVAS_PNG = CANVAS.read_bytes()
SEVEN = [0.0] * 7 + [1.0] + [0.0] * 2
ONE = [0.0, 1.0] + [0.0] * 8


def body_of(request: bytes) -> tuple[str, bytes]:
    head, _, body = request.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    assert int(headers["Content-Length"]) == len(body)
    return headers["Content-Type"], body


def oip_answer(digit: int, probabilities: list[float]) -> bytes:
    """A response as KServe and MLServer write it (with fields digitpad leaves out)."""
    outputs = [
        {"name": "digit", "shape": [1], "datatype": "INT32", "parameters": None, "data": [digit]},
        {"name": "probabilities", "shape": [1, 10], "datatype": "FP32", "data": probabilities},
    ]
    return json.dumps({"model_name": "digits", "model_version": None, "id": "x", "outputs": outputs}).encode()


def gradio_answer(probabilities: list[float]) -> bytes:
    """Gradio's server-sent events for a gr.Label output: confidences, most probable first."""
    ranked = sorted(enumerate(probabilities), key=lambda item: -item[1])
    label = {
        "label": str(ranked[0][0]),
        "confidences": [{"label": str(d), "confidence": p} for d, p in ranked],
    }
    return f"event: heartbeat\ndata: null\n\nevent: complete\ndata: {json.dumps([label])}\n\n".encode()


def test_raw_body_requests_carry_the_canvas_itself() -> None:
    for client in (clients.digitpad(CANVAS_PNG), clients.bentoml(CANVAS_PNG)):
        assert client.request.startswith(b"POST /predict HTTP/1.1\r\n")
        assert body_of(client.request) == ("image/png", CANVAS_PNG)


def test_oip_request_is_one_base64_png_in_a_bytes_input() -> None:
    content_type, body = body_of(clients.oip(CANVAS_PNG).request)
    assert content_type == "application/json"
    (tensor,) = json.loads(body)["inputs"]
    assert tensor["name"] == "image_bytes" and tensor["datatype"] == "BYTES" and tensor["shape"] == [1]
    assert base64.b64decode(tensor["data"][0]) == CANVAS_PNG


def test_litserve_request_is_json_with_the_png_in_base64() -> None:
    content_type, body = body_of(clients.litserve(CANVAS_PNG).request)
    assert content_type == "application/json"
    assert base64.b64decode(json.loads(body)["image"]) == CANVAS_PNG


def test_gradio_exchange_uploads_the_canvas_then_calls_with_its_path_then_gets_the_result() -> None:
    client = clients.gradio(CANVAS_PNG)
    assert client.request.startswith(b"POST /gradio_api/upload HTTP/1.1\r\n")
    assert b'name="files"; filename="seven.png"' in client.request and CANVAS_PNG in client.request
    assert client.follow is not None
    call = client.follow(0, b'["/tmp/gradio/abc/seven.png"]')
    assert call is not None and call.startswith(b"POST /gradio_api/call/predict HTTP/1.1\r\n")
    assert json.loads(body_of(call)[1])["data"][0]["path"] == "/tmp/gradio/abc/seven.png"
    assert client.follow(1, b'{"event_id": "e1"}') == loadgen.get_request("/gradio_api/call/predict/e1")
    assert client.follow(2, gradio_answer(SEVEN)) is None


@pytest.mark.parametrize(
    ("client", "answer"),
    [
        (clients.digitpad, lambda p: json.dumps({"label": "7", "digit": 7, "probabilities": p}).encode()),
        (clients.litserve, lambda p: json.dumps({"digit": 7, "probabilities": p}).encode()),
        (clients.oip, lambda p: oip_answer(7, p)),
        (clients.gradio, gradio_answer),
    ],
)
def test_each_parser_reads_a_seven_and_its_probabilities(client, answer) -> None:
    peer = client(CANVAS_PNG)
    assert peer.read(answer(SEVEN)) == (7, SEVEN)
    assert clients.is_seven(peer)(answer(SEVEN))


@pytest.mark.parametrize(
    ("client", "body"),
    [
        (clients.digitpad, json.dumps({"digit": 1, "probabilities": ONE}).encode()),  # another digit
        (clients.digitpad, json.dumps({"digit": 7, "probabilities": SEVEN[:9]}).encode()),  # 9 classes
        (clients.digitpad, b'{"detail": "Internal server error"}'),
        (clients.oip, oip_answer(1, ONE)),
        (clients.oip, b'{"error": "ValidationError"}'),
        (clients.gradio, gradio_answer(ONE)),
        (clients.gradio, b"event: error\ndata: null\n\n"),
        (clients.litserve, b"not json"),
    ],
)
def test_an_answer_that_is_not_a_readable_seven_is_wrong(client, body) -> None:
    assert not clients.is_seven(client(CANVAS_PNG))(body)


def test_every_peer_names_its_client_and_configuration() -> None:
    assert len({peer.name for peer in PEERS}) == len(PEERS)
    for peer in PEERS:
        assert peer.client(CANVAS_PNG).encoding and peer.configured


def test_mlserver_settings_name_the_runtime_and_the_input_the_client_sends() -> None:
    settings = json.loads((HERE / "mlserver" / "model-settings.json").read_text())
    module, _, name = settings["implementation"].rpartition(".")
    tree = ast.parse((HERE / "mlserver" / f"{module}.py").read_text())
    assert name in {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    sent = json.loads(body_of(clients.oip(CANVAS_PNG).request)[1])["inputs"][0]["name"]
    assert [tensor["name"] for tensor in settings["inputs"]] == [sent]
    assert settings["inputs"][0]["parameters"]["content_type"] == "base64"


def test_the_peers_reader_answers_as_the_service_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(HERE))  # as the peers import it: a top-level module
    from digit_reader import DigitReader

    answer = DigitReader().read(CANVAS_PNG)
    service = Classifier.load("digits", ROOT / "models" / "digits").classify_image(
        decode(CANVAS_PNG, Limits())
    )
    assert answer["digit"] == service.digit == 7
    assert answer["is_digit"] == service.is_digit
    np.testing.assert_allclose(answer["probabilities"], service.probabilities, rtol=1e-6)


@contextmanager
def fake_gradio() -> Iterator[int]:
    """Answers Gradio's three requests as Gradio does (the result chunked, as server-sent
    events), keeping the connection open; on a port of its own, in a thread."""
    answers = {
        b"POST /gradio_api/upload": (b"application/json", b'["/tmp/gradio/abc/seven.png"]'),
        b"POST /gradio_api/call/predict ": (b"application/json", b'{"event_id":"e1"}'),
    }

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                await reader.readexactly(
                    next(
                        (
                            int(h.split(b":")[1])
                            for h in head.split(b"\r\n")
                            if h.startswith(b"Content-Length")
                        ),
                        0,
                    )
                )
                writer.write(respond(head))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):  # the client closed the connection
            writer.close()

    def respond(head: bytes) -> bytes:
        for start, (kind, body) in answers.items():
            if head.startswith(start):
                return b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s" % (
                    kind,
                    len(body),
                    body,
                )
        events = gradio_answer(SEVEN)  # GET /gradio_api/call/predict/e1: in two chunks
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (events[:20], events[20:]))
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"

    started, running = threading.Event(), {}

    async def serve() -> None:
        stopping = asyncio.Event()
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        running.update(
            port=server.sockets[0].getsockname()[1], loop=asyncio.get_running_loop(), stop=stopping.set
        )
        started.set()
        async with server:
            await stopping.wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),))
    thread.start()
    assert started.wait(10)
    try:
        yield running["port"]
    finally:
        running["loop"].call_soon_threadsafe(running["stop"])
        thread.join(10)


def test_the_load_generator_follows_an_exchange_on_one_connection_and_checks_its_end() -> None:
    client = clients.gradio(CANVAS_PNG)
    with fake_gradio() as port:
        right = loadgen.run(
            "127.0.0.1", port, [client.request], 6, 2, None, client.follow, clients.is_seven(client), 10
        )
        wrong = loadgen.run(
            "127.0.0.1", port, [client.request], 3, 1, None, client.follow, lambda body: False, 10
        )
    assert (right.requests, right.statuses[200], right.wrong, right.connection_errors) == (6, 6, 0, 0)
    assert (wrong.requests, wrong.wrong) == (3, 3)
