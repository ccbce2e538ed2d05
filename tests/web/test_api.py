import base64

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from app.web.main import create_app
from support.drawing import draw, encode
from support.paths import ROOT

CANVAS_PNG = encode(draw(7))


def post_raw(client, data: bytes, content_type: str = "image/png", **kwargs):
    return client.post("/predict", content=data, headers={"content-type": content_type}, **kwargs)


def test_three_input_modes_give_the_same_answer(client):
    as_file = client.post("/predict", files={"file": ("seven.png", CANVAS_PNG, "image/png")})
    as_bytes = post_raw(client, CANVAS_PNG)
    data_url = "data:image/png;base64," + base64.b64encode(CANVAS_PNG).decode()
    as_data_url = client.post("/predict", json={"image": data_url})
    as_base64 = client.post("/predict", json={"image": base64.b64encode(CANVAS_PNG).decode()})
    answers = [r.json() for r in (as_file, as_bytes, as_data_url, as_base64)]
    assert [r.status_code for r in (as_file, as_bytes, as_data_url, as_base64)] == [200] * 4
    assert all(a == answers[0] for a in answers)
    answer = answers[0]
    assert answer["digit"] == 7
    assert len(answer["probabilities"]) == 10 and sum(answer["probabilities"]) == pytest.approx(1, abs=1e-6)
    assert answer["confidence"] == max(answer["probabilities"])
    assert answer["model_version"] == client.get("/model").json()["version"]
    assert answer["input"] is None


@pytest.mark.parametrize("digit", [0, 1, 4, 7])
def test_reads_drawn_digits(client, digit):
    assert post_raw(client, encode(draw(digit))).json()["digit"] == digit


def test_reads_the_png_the_page_sends(client):
    """What Chromium's canvas exported for a mouse-drawn 7 (the serving benchmark's input)."""
    from support.servers import CANVAS

    assert post_raw(client, CANVAS.read_bytes()).json()["digit"] == 7


def test_returns_what_the_model_saw_when_asked(client):
    seen = post_raw(client, CANVAS_PNG, params={"include_input": "true"}).json()["input"]
    assert len(seen) == 28 and all(len(row) == 28 for row in seen)
    assert max(map(max, seen)) == 1.0 and min(map(min, seen)) == 0.0


def test_large_phone_photo_style_jpeg(client):
    photo = draw(
        4,
        size=(3000, 2000),
        box=(0.4, 0.3, 0.6, 0.7),
        width=50,
        ink=(40, 40, 60),
        paper=(200, 195, 185),
        mode="RGB",
    )
    assert post_raw(client, encode(photo, "JPEG", quality=85), "image/jpeg").json()["digit"] == 4


# Bad images and bodies, and what every route that reads an image answers (tests/core/test_explain.py too).
BAD_INPUTS = [
    (
        {"content": b"garbage", "headers": {"content-type": "image/png"}},
        400,
        "not a readable",
        "undecodable_image",
    ),
    (
        {"content": encode(draw(7))[:300], "headers": {"content-type": "image/png"}},
        400,
        "corrupt",
        "undecodable_image",
    ),
    (
        {"content": encode(draw(7)), "headers": {"content-type": "application/octet-stream"}},
        415,
        "multipart",
        "unsupported_media_type",
    ),
    (
        {
            "content": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            "headers": {"content-type": "image/svg+xml"},
        },
        415,
        "SVG",
        "unsupported_image_type",
    ),
    (
        {"files": {"file": ("doc.pdf", b"%PDF-1.4 ...", "application/pdf")}},
        415,
        "PDF",
        "unsupported_image_type",
    ),
    (
        {"content": b"hello", "headers": {"content-type": "text/plain"}},
        415,
        "multipart",
        "unsupported_media_type",
    ),
    (
        {"json": {"image": "data:application/pdf;base64,JVBERi0="}},
        415,
        "not an image",
        "unsupported_media_type",
    ),
    ({"files": {"upload": ("seven.png", CANVAS_PNG, "image/png")}}, 422, "field 'file'", "missing_file"),
    (
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        422,
        "JSON body",
        "bad_json",
    ),
    ({"json": {"picture": "abc"}}, 422, "JSON body", "bad_json"),
    ({"json": {"image": "not base64 at all!"}}, 422, "base64", "bad_base64"),
    (
        {
            "content": encode(draw(1), "GIF", save_all=True, append_images=[draw(7)]),
            "headers": {"content-type": "image/gif"},
        },
        422,
        "animated",
        "animated",
    ),
    (
        {"content": encode(draw(1, size=(6, 6), width=1)), "headers": {"content-type": "image/png"}},
        422,
        "at least 8 px",
        "too_small",
    ),
    (
        {"content": encode(draw(1, ink=(0, 0, 0, 0))), "headers": {"content-type": "image/png"}},
        422,
        "no ink",
        "no_ink",
    ),
    ({"content": b"", "headers": {"content-type": "image/png"}}, 400, "empty", "empty_image"),
    (
        {
            "content": CANVAS_PNG,
            "headers": {"content-type": "image/png"},
            "params": {"include_input": "perhaps"},
        },
        422,
        "include_input",
        "invalid_request",
    ),
]


@pytest.mark.parametrize("kwargs, status, detail, code", BAD_INPUTS)
def test_bad_input_is_a_clear_4xx_with_a_stable_code(client, kwargs, status, detail, code):
    response = client.post("/predict", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json()["detail"], str) and detail in response.json()["detail"]
    assert response.json()["code"] == code


def test_decompression_bomb_is_413(client):
    bomb = encode(draw(1, size=(30000, 30000), mode="1", ink=1, paper=0))
    response = post_raw(client, bomb)
    assert response.status_code == 413 and "too many pixels" in response.json()["detail"]


def test_body_limits_are_settings():
    settings = Settings(max_body_bytes=10_000, max_pixels=100_000)
    with TestClient(create_app(settings)) as small:
        too_long = post_raw(small, CANVAS_PNG + b"\0" * 10_000)
        assert too_long.status_code == 413 and "10000 bytes" in too_long.json()["detail"]

        def chunks():  # no Content-Length: the limit must hold while streaming
            for _ in range(20):
                yield b"\0" * 1000

        streamed = small.post("/predict", content=chunks(), headers={"content-type": "image/png"})
        assert streamed.status_code == 413
        assert post_raw(small, encode(draw(7, size=(400, 400)))).status_code == 413  # 160,000 px


def test_health_ready_and_model_card(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["ready"] is True and ready["backend"] == "litert"
    card = client.get("/model").json()
    assert card["input"]["shape"] == [28, 28, 1] and card["backend"] == "litert"
    assert {"mnist_test", "usps", "semeion", "negatives", "sweep"} <= set(card["metrics"])


def test_without_a_model_the_service_says_so(tmp_path):
    with TestClient(create_app(Settings(model_dir=tmp_path))) as empty:
        assert empty.get("/health").status_code == 200
        assert empty.get("/ready").status_code == 503 and empty.get("/ready").json()["ready"] is False
        response = post_raw(empty, CANVAS_PNG)
        assert response.status_code == 503
        assert response.json() == {"detail": "model digits not loaded", "code": "model_not_loaded"}


def test_keras_backend_gives_the_same_answers(client):
    with TestClient(create_app(Settings(backend="keras"))) as reference:
        for digit in (0, 4, 7):
            data = encode(draw(digit))
            ours, theirs = post_raw(client, data).json(), post_raw(reference, data).json()
            assert ours["digit"] == theirs["digit"]
            assert ours["probabilities"] == pytest.approx(theirs["probabilities"], abs=1e-4)


def test_page_has_security_headers_and_no_external_assets(client):
    page = client.get("/")
    assert page.status_code == 200 and 'data-testid="pad"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    for html in (page.text, client.get("/docs").text):
        assert "http://" not in html and "https://" not in html
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert (
        "access-control-allow-origin"
        not in client.get("/health", headers={"origin": "https://x.example"}).headers
    )


def test_openapi_documents_all_three_input_modes(client):
    body = client.get("/openapi.json").json()["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json", "image/png", "image/jpeg", "image/webp"} <= set(body)


def test_litert_serving_never_imports_tensorflow():
    """The default backend serves without TensorFlow: a small image, a fast start."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from app.web.main import create_app\n"
        "app = create_app()\n"
        "from support.drawing import draw, encode\n"
        "with TestClient(app) as client:\n"
        "    r = client.post('/predict', content=encode(draw(7)), headers={'content-type': 'image/png'})\n"
        "    assert r.json()['digit'] == 7, r.text\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_cors_only_for_configured_origins():
    with TestClient(create_app(Settings(cors_origins=["https://digits.example"]))) as configured:
        preflight = {"origin": "https://digits.example", "access-control-request-method": "POST"}
        assert (
            configured.options("/predict", headers=preflight).headers["access-control-allow-origin"]
            == "https://digits.example"
        )
        other = configured.get("/health", headers={"origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers


def test_the_favicon_is_the_pages_mark(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content == (ROOT / "static" / "favicon.svg").read_bytes()
