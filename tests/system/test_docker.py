"""The Docker image, built and run as the README says (marked: takes minutes)."""

import json
import shutil
import subprocess
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from support.drawing import draw, encode
from support.drawing import number as number_image
from support.servers import ROOT, free_port

TAG = "digitpad:test"
MAX_IMAGE_BYTES = 450 * 1000 * 1000


def docker_works() -> bool:
    return (
        bool(shutil.which("docker"))
        and subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0
    )


pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(
        not docker_works(), reason="no Docker engine (CI starts one with ../shared/tools/docker-here.sh)"
    ),
]


def docker(*args: str, timeout: float = 60) -> str:
    return subprocess.run(
        ["docker", *args], check=True, capture_output=True, text=True, timeout=timeout
    ).stdout.strip()


@pytest.fixture(scope="module")
def image() -> str:
    # Host networking: this machine has no bridge network (the classic builder needs it for pip too).
    docker("build", "--network", "host", "-t", TAG, str(ROOT), timeout=1200)
    return TAG


def test_image_is_small_non_root_and_holds_no_tests_or_training(image):
    size = int(docker("image", "inspect", "--format", "{{.Size}}", image))
    print(f"\nimage size: {size / 1e6:.0f} MB")
    assert size <= MAX_IMAGE_BYTES
    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", image))
    assert (
        config["User"] == "10001:10001" and config["Healthcheck"]["Test"]
    )  # numeric: see deploy/deployment.yaml
    listing = docker(
        "run",
        "--rm",
        "--network",
        "host",
        image,
        "sh",
        "-c",
        "ls /srv/digitpad /srv/digitpad/models/digits; pip list 2>/dev/null",
    )
    assert docker("run", "--rm", "--network", "host", image, "id", "-un") == "digitpad"
    assert "tests" not in listing.split() and "training" not in listing.split()
    assert "digits.tflite" in listing and "tensorflow" not in listing.lower()


def test_container_serves_the_page_and_reads_a_digit_and_a_number(image):
    port = free_port()
    container = docker("run", "-d", "--rm", "--network", "host", "-e", f"PORT={port}", image)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert httpx.get(f"{url}/").status_code == 200
        response = httpx.post(
            f"{url}/predict", content=encode(draw(7)), headers={"content-type": "image/png"}
        )
        assert response.status_code == 200 and response.json()["digit"] == 7
        number = httpx.post(
            f"{url}/read", content=encode(number_image("42")), headers={"content-type": "image/png"}
        )
        assert number.status_code == 200 and number.json()["number"] == "42"  # SciPy, trimmed, still labels
        inside = httpx.post(f"{url}/explain", content=encode(draw(7)), headers={"content-type": "image/png"})
        assert inside.status_code == 200 and inside.json()["digit"] == 7  # the layers model is in the image
        clothes = httpx.post(
            f"{url}/predict",
            params={"model": "fashion"},
            content=encode(draw(7)),
            headers={"content-type": "image/png"},
        )
        assert clothes.status_code == 200 and clothes.json()["model"] == "fashion"
        assert httpx.get(f"{url}/v2/health/ready").json() == {"ready": True}
        assert httpx.get(f"{url}/v2/models/fashion/ready").json() == {"name": "fashion", "ready": True}
        assert "digitpad_model_info" in httpx.get(f"{url}/metrics").text
        deadline = time.monotonic() + 60
        while docker("inspect", "--format", "{{.State.Health.Status}}", container) != "healthy":
            assert time.monotonic() < deadline, "HEALTHCHECK never passed"
            time.sleep(1)
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)


def test_container_serves_with_a_read_only_root_and_a_writable_tmp(image):
    """As deploy/deployment.yaml runs it: the service writes nothing but temporary files,
    which a multipart upload over 1 MB spools to (Starlette)."""
    port = free_port()
    container = docker(
        "run",
        "-d",
        "--rm",
        "--network",
        "host",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "-e",
        f"PORT={port}",
        image,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the container never answered"
            time.sleep(0.2)
        # Without a writable /tmp, this upload is a 500: "No usable temporary directory found".
        # Grainy paper keeps the PNG over 1 MB; the 4 on it is what must be read.
        grain = np.random.default_rng(0).integers(215, 256, (800, 800, 3), dtype=np.uint8)
        photo = Image.fromarray(grain)
        four = draw(4, size=photo.size, width=50, ink=(20, 20, 20, 255))
        photo.paste(four, (0, 0), four)
        upload = encode(photo)
        assert len(upload) > 1024 * 1024
        response = httpx.post(f"{url}/predict", files={"file": ("four.png", upload, "image/png")}, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["digit"] == 4
        seven = httpx.post(f"{url}/predict", files={"file": ("seven.png", encode(draw(7)), "image/png")})
        assert seven.json()["digit"] == 7
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)


def test_the_readme_prune_command_removes_the_build_stage(image):
    """The build stage is left behind untagged; the README's command removes it, and not the image."""
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if line.startswith("docker image prune"))
    assert docker("images", "--quiet", "--filter", "label=stage=digitpad-build")
    subprocess.run(command.split(), check=True, capture_output=True, timeout=120)
    assert not docker("images", "--quiet", "--filter", "label=stage=digitpad-build")
    assert docker("images", "--quiet", image)
