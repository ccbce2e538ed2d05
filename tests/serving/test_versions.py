"""Model versions: kept, promoted through the gate or refused, rolled back, and picked up
live by every worker of a running server, a request answered wholly by one version; a
version that will not load is refused while the old one keeps serving."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.drawing import draw, encode
from support.paths import ROOT
from support.servers import Server, running_server

MODELS = ROOT / "models" / "digits"
SHIPPED = json.loads((MODELS / "model_card.json").read_text())["version"]
DENSE = json.loads((MODELS.parent / "dense" / "model_card.json").read_text())["version"]
SEVEN = encode(draw(7))
PNG = {"content-type": "image/png"}


def models(data: Path, *args: str) -> subprocess.CompletedProcess:
    """digitpad-models, as a user runs it, on the database in `data`."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli.models", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DIGITPAD_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def data() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="digitpad-versions-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def server(data: Path) -> Iterator[Server]:
    with running_server(
        DIGITPAD_DATA_DIR=str(data), DIGITPAD_MODEL_POLL_S="0.2", DIGITPAD_WORKERS="2"
    ) as running:
        yield running


def wait_for_version(url: str, version: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = {
            httpx.post(f"{url}/predict", content=SEVEN, headers=PNG).json()["model_version"] for _ in range(8)
        }
        if seen == {version}:
            return
        time.sleep(0.1)
    raise AssertionError(f"still serving {seen}, not {version}")


def test_the_gate_refuses_a_worse_candidate_and_force_says_what_it_overrides(data):
    assert models(data, "add", str(MODELS.parent / "dense")).returncode == 0
    refused = models(data, "promote", DENSE)
    assert refused.returncode == 1
    serving, candidate = (
        json.loads((folder / "model_card.json").read_text())["metrics"]["mnist_test"]["accuracy"]
        for folder in (MODELS, MODELS.parent / "dense")
    )
    assert (
        f"| MNIST test | {serving:.2%} | {candidate:.2%} | at most 0.1 point worse | FAIL |" in refused.stdout
    )
    assert "refused" in refused.stderr
    assert f"| {SHIPPED} |" in models(data, "list").stdout.split("serving")[0].splitlines()[-1] + "|"
    forced = models(data, "promote", DENSE, "--force")
    assert forced.returncode == 0 and "forced over MNIST test, USPS, Semeion" in forced.stdout


def test_a_promotion_and_a_rollback_reach_every_worker_live_without_a_failed_request(data, server):
    assert models(data, "add", str(MODELS.parent / "dense")).returncode == 0
    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set() and len(answers) < 20_000:
                for path in ("/predict", "/read"):
                    answer = client.post(path, content=SEVEN, headers=PNG)
                    answers.append((answer.status_code, answer.json().get("model_version")))

    clients = [threading.Thread(target=load) for _ in range(4)]
    for client in clients:
        client.start()
    try:
        assert models(data, "promote", DENSE, "--force").returncode == 0
        wait_for_version(server.url, DENSE)
        earlier = httpx.get(f"{server.url}/v2/models/digits/versions/{SHIPPED}").json()
        assert earlier["versions"] == [SHIPPED]  # the version before stays addressable
        assert models(data, "rollback").returncode == 0
        wait_for_version(server.url, SHIPPED)
    finally:
        stop.set()
        for client in clients:
            client.join()
    assert answers and all(status == 200 for status, _ in answers)
    assert {version for _, version in answers} == {
        SHIPPED,
        DENSE,
    }  # each answer names the version that read it


def test_a_version_that_will_not_load_is_refused_and_the_old_one_keeps_serving(data, server, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(
        MODELS.parent / "dense", broken, ignore=shutil.ignore_patterns("*.keras", "*.png", "*.csv")
    )
    card = json.loads((broken / "model_card.json").read_text())
    card["version"] = "broken000001"
    (broken / "model_card.json").write_text(json.dumps(card))
    (broken / "dense.tflite").write_bytes(b"not a model" * 100)
    refused = models(data, "add", str(broken))
    assert refused.returncode == 2 and "not a model the service can load" in refused.stderr
    # Kept and promoted without those checks, as a copy corrupted on its way would be:
    from app.store.database import Database
    from app.store.versions import Versions

    versions = Versions(Database(f"sqlite:///{data / 'digitpad.db'}"), data / "models", {"digits": MODELS})
    versions.add("digits", broken)
    forced = models(data, "promote", "broken000001", "--force")
    assert forced.returncode == 2 and "does not load, so it is not promoted" in forced.stderr
    versions.promote("digits", "broken000001", "a test: promoted past the gate")
    time.sleep(2)  # ten times the poll: every worker has tried it
    for _ in range(10):
        answer = httpx.post(f"{server.url}/predict", content=SEVEN, headers=PNG)
        assert answer.status_code == 200 and answer.json()["model_version"] == SHIPPED
    assert httpx.get(f"{server.url}/ready").status_code == 200


def _follower(data: Path, every: float = 60.0):
    from app.serving.follower import Follower
    from app.serving.registry import Registry
    from app.settings import Settings
    from app.store.database import Database
    from app.store.versions import Versions

    versions = Versions(Database(f"sqlite:///{data / 'digitpad.db'}"), None, {"digits": MODELS})
    registry = Registry.load({"digits": MODELS}, "litert", Settings().limits())
    return Follower(versions, registry, "litert", Settings().limits(), every), versions


def test_a_fetched_version_is_unpacked_outside_the_data_folder(data):
    _, versions = _follower(data)
    versions.add("digits", MODELS.parent / "dense")
    folder = versions.folder("digits", DENSE)
    assert (folder / "model_card.json").is_file()
    assert data not in folder.parents and not (data / "models").exists()


def test_a_version_refused_for_a_passing_reason_is_tried_again_at_the_next_poll(data, monkeypatch):
    import errno

    follower, versions = _follower(data)
    monkeypatch.setattr(versions, "serving", lambda name: DENSE)
    load = follower.load
    tries = []

    def flaky(name: str, version: str):
        tries.append(version)
        if len(tries) == 1:
            raise OSError(errno.EROFS, "Read-only file system")
        return load(name, version)

    monkeypatch.setattr(follower, "load", flaky)
    versions.add("digits", MODELS.parent / "dense")
    follower.check()
    assert follower.registry.versions()["digits"] == SHIPPED
    follower.check()
    assert follower.registry.versions()["digits"] == DENSE and tries == [DENSE, DENSE]


def test_a_version_not_found_is_asked_for_again_only_after_a_poll_interval(data, monkeypatch):
    follower, versions = _follower(data, every=0.5)
    asked: list[str] = []
    folder = versions.folder

    def counted(name: str, version: str) -> Path:
        asked.append(version)
        return folder(name, version)

    monkeypatch.setattr(versions, "folder", counted)
    assert [follower.earlier("digits", "made-up") for _ in range(5)] == [None] * 5
    assert asked == ["made-up"]
    time.sleep(0.6)
    assert follower.earlier("digits", "made-up") is None and asked == ["made-up"] * 2


def _variant(tmp_path: Path, version: str, network: Path | None = None) -> Path:
    """The dense model's folder as a new version, its network replaced by `network`."""
    folder = tmp_path / "variant"
    shutil.copytree(
        MODELS.parent / "dense", folder, ignore=shutil.ignore_patterns("*.keras", "*.png", "*.csv")
    )
    card = json.loads((folder / "model_card.json").read_text())
    card["version"] = version
    (folder / "model_card.json").write_text(json.dumps(card))
    if network is not None:
        shutil.copy(network, folder / "dense.tflite")
    return folder


def test_a_network_whose_outputs_are_not_its_cards_is_not_kept(data, tmp_path):
    clothes = _variant(tmp_path, "clothes00001", MODELS.parent / "fashion" / "fashion.tflite")  # 10 outputs
    refused = models(data, "add", str(clothes))
    assert refused.returncode == 2 and "10 outputs" in refused.stderr and "12" in refused.stderr
    assert "clothes00001" not in models(data, "list").stdout


@pytest.mark.parametrize("version", ["../../etc", "a/b", "v1\n", "x" * 65, ".hidden", "two words"])
def test_a_version_that_is_not_a_plain_name_is_not_kept(data, tmp_path, version):
    refused = models(data, "add", str(_variant(tmp_path, version)))
    assert refused.returncode == 2 and "a version is 1-64 letters" in refused.stderr
    assert "Traceback" not in refused.stderr
