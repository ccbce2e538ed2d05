"""The house's rules: the app is layers by job, each importing only those below it (the
core knows nothing of the web and sets no process-wide state; persistence knows no
model), training imports only the core, apps keep their own limits, and every refusal
speaks the one vocabulary."""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.errors import Code
from app.settings import Settings
from app.web.main import create_app
from app.web.problems import STATUS
from support.drawing import draw, encode
from support.paths import ROOT

WEB = (
    "fastapi",
    "starlette",
    "pydantic_settings",
    "uvicorn",
    "gunicorn",
    "prometheus_client",
    "jinja2",
    "app.web",
    "app.settings",
    "app.cli",
)
# Lowest first: the core (reading images, web-free), persistence, what lives across requests
# while serving, the settings, the HTTP service, the command-line tools.
LAYERS = ("app.core", "app.store", "app.serving", "app.settings", "app.web", "app.cli")
# Alembic's `alembic` command runs this file as its own entry point, as a tool: it reads the
# settings for the database's URL, as digitpad-serve does.
TOOLS_INSIDE = {"app/store/migrations/env.py: app.settings"}


def imports(folder: Path) -> dict[str, set[str]]:
    """Every module each file of `folder` (or the file itself) imports, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")) if folder.is_dir() else [folder]:
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offending(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{file}: {name}"
        for file, names in imports(folder).items()
        for name in sorted(names)
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    ]


def test_the_rule_sees_a_forbidden_import(tmp_path):
    (tmp_path / "bad.py").write_text("from fastapi import Request\nimport app.web.main\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tests.system.test_architecture.ROOT", tmp_path)
        assert offending(tmp_path, WEB) == ["bad.py: app.web.main", "bad.py: fastapi"]


def layer_path(layer: str) -> Path:
    folder = ROOT.joinpath(*layer.split("."))
    return folder if folder.is_dir() else folder.with_suffix(".py")


def test_each_layer_imports_only_the_layers_below_it():
    assert all(layer_path(layer).exists() for layer in LAYERS)
    upward = {
        problem for i, layer in enumerate(LAYERS) for problem in offending(layer_path(layer), LAYERS[i + 1 :])
    }
    assert upward - TOOLS_INSIDE == set()


def test_the_layers_rule_sees_an_upward_import(tmp_path):
    (tmp_path / "app" / "store").mkdir(parents=True)
    (tmp_path / "app" / "store" / "cache.py").write_text("from app.serving.registry import Registry\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tests.system.test_architecture.ROOT", tmp_path)
        assert offending(layer_path("app.store"), LAYERS[2:]) == ["app/store/cache.py: app.serving.registry"]


@pytest.mark.parametrize("layer", ["app/core", "app/store", "app/serving"])
def test_the_layers_below_the_service_import_no_web_framework(layer):
    assert set(offending(ROOT / layer, WEB)) - TOOLS_INSIDE == set()


def test_persistence_knows_no_model():
    """The store keeps cards, files and examples; loading and running a model is serving's."""
    running = ("app.core.classifier", "app.core.inference", "app.core.explain", "app.core.strip")
    assert offending(ROOT / "app" / "store", running) == []


def test_training_imports_only_the_core_of_the_app():
    assert offending(ROOT / "training", WEB) == []


def test_the_core_sets_no_process_wide_state():
    """No assignment to another module's attributes (Image.MAX_IMAGE_PIXELS = ...), no
    `global`, no warnings filters."""
    problems = []
    for path in sorted((ROOT / "app" / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Global):
                problems.append(f"{path.name}: global {', '.join(node.names)}")
            targets = node.targets if isinstance(node, ast.Assign) else []
            problems += [
                f"{path.name}: sets {ast.unparse(t)}"
                for t in targets
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id[0].isupper()
            ]
            if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("warnings.simplefilter"):
                problems.append(f"{path.name}: {ast.unparse(node)}")
    assert problems == []


def test_two_apps_in_one_process_keep_their_own_limits():
    small, large = Settings(max_pixels=200_000), Settings(max_pixels=2_000_000)
    seven = encode(draw(7).resize((1000, 1000)))
    with TestClient(create_app(small)) as strict, TestClient(create_app(large)) as lenient:
        for _ in range(2):  # in either order: the last app created sets nothing for the others
            refused = strict.post("/predict", content=seven, headers={"content-type": "image/png"})
            read = lenient.post("/predict", content=seven, headers={"content-type": "image/png"})
            assert refused.status_code == 413 and refused.json()["code"] == "image_too_large"
            assert read.status_code == 200 and read.json()["label"] == "7"


def test_every_code_has_a_status_and_is_documented(client):
    assert set(STATUS) == set(Code)
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schema["Code"]["enum"]) == {code.value for code in Code}
    assert schema["Problem"]["properties"]["code"]["$ref"].endswith("/Code")


REFUSALS = [  # (method, path, extra request arguments): refusals from the routes and from the middleware
    ("GET", "/nope", {}),
    ("DELETE", "/predict", {}),
    ("POST", "/predict", {"content": b"x" * 2_000, "headers": {"content-type": "image/png"}}),
    ("POST", "/predict", {"content": b"hello", "headers": {"content-type": "text/plain"}}),
    ("GET", "/model?model=nope", {}),
    ("POST", "/predict?model=nope", {"content": b"x", "headers": {"content-type": "image/png"}}),
]


@pytest.mark.parametrize("prefix, words", [("", "detail"), ("/v2/models/digits/infer", "error")])
@pytest.mark.parametrize("method, path, kwargs", REFUSALS)
def test_every_refusal_has_a_code_and_the_shape_of_its_protocol(prefix, words, method, path, kwargs):
    app = create_app(Settings(max_body_bytes=1_000))
    with TestClient(app) as client:
        url = prefix or path
        response = client.request(method, url, **kwargs)
        assert 400 <= response.status_code < 500, response.text
        body = response.json()
        assert set(body) == {words, "code"} and body["code"] in {code.value for code in Code}


def test_a_head_too_large_under_v2_answers_in_the_protocols_shape(live_server):
    host, port = live_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert (
        answer.startswith(b"HTTP/1.1 431") and b'{"error":' in answer and b'"code":"head_too_large"' in answer
    )
    assert b"content-security-policy" in answer


def test_importing_the_service_makes_nothing(tmp_path):
    """No app at import time: no data folder, no database, nothing new in the checkout."""
    before = sorted(path.name for path in ROOT.iterdir())
    env = {**os.environ, "DIGITPAD_DATA_DIR": str(tmp_path / "data"), "PYTHONDONTWRITEBYTECODE": "1"}
    modules = "import app.web.main, app.cli.serve, app.cli.models, app.cli.data"
    subprocess.run([sys.executable, "-c", modules], cwd=ROOT, env=env, check=True, timeout=60)
    assert not (tmp_path / "data").exists()
    assert sorted(path.name for path in ROOT.iterdir()) == before
