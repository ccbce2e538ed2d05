"""The README's API examples run as written, from the repository root, against a live server."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from support.paths import ROOT

README = (ROOT / "README.md").read_text()


def curl_commands() -> list[str]:
    """Every `curl` command in the README's sh blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL):
        for command in block.replace("\\\n", " ").splitlines():
            if command.strip().startswith("curl"):
                commands.append(command.strip())
    return commands


@pytest.mark.skipif(not shutil.which("curl"), reason="curl not installed")
@pytest.mark.parametrize("command", curl_commands())
def test_readme_curl_example_runs_as_written(live_server, command):
    port = live_server.rsplit(":", 1)[1]
    command = command.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    result = subprocess.run(
        ["bash", "-c", f"{command} --fail --silent --show-error"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    if command.split()[-1].endswith("/metrics"):
        assert "digitpad_model_info{" in result.stdout
        return
    answer = json.loads(result.stdout)
    digits = [o["data"] for o in answer.get("outputs", []) if o["name"] == "digit"]  # Open Inference Protocol
    assert (
        answer.get("digit") == 7
        or answer.get("number") == "2026"
        or digits == [[7]]
        or answer.get("label") == "sneaker"
    ), answer


def python_examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


@pytest.mark.parametrize("example", python_examples())
def test_readme_python_example_runs_as_written(live_server, example):
    port = live_server.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-c", example.replace("127.0.0.1:8000", f"127.0.0.1:{port}")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = re.search(r"# (.*)$", example.strip().splitlines()[-1])  # the output the example shows
    assert expected and result.stdout.strip() == expected[1], result.stdout


def test_readme_shows_every_kind_of_request():
    commands = curl_commands()
    assert (
        len(commands) >= 4 and any("/read" in c for c in commands) and any("-F file=@" in c for c in commands)
    )


def test_readme_sample_answers_are_the_services(client):
    """The README's JSON samples are what the service answers, field for field."""
    samples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", README, flags=re.DOTALL)]
    predicted = client.post(
        "/predict", content=(ROOT / "docs" / "seven.png").read_bytes(), headers={"content-type": "image/png"}
    ).json()
    read = client.post(
        "/read", content=(ROOT / "docs" / "2026.png").read_bytes(), headers={"content-type": "image/png"}
    ).json()
    assert_same(samples[0], predicted)
    assert_same(samples[1], read)


def test_readme_documents_every_setting():
    from app.settings import Settings

    table = README[README.index("## Settings") :]
    missing = [
        f"DIGITPAD_{name.upper()}"
        for name in Settings.model_fields
        if f"DIGITPAD_{name.upper()}" not in table
    ]
    assert not missing, missing


def assert_same(ours, theirs) -> None:
    """Equal, numbers within 1e-6: another CPU's vector instructions may round the
    last digits differently."""
    if isinstance(ours, dict):
        assert isinstance(theirs, dict) and ours.keys() == theirs.keys()
        for key in ours:
            assert_same(ours[key], theirs[key])
    elif isinstance(ours, list):
        assert isinstance(theirs, list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b)
    elif isinstance(ours, float):
        assert ours == pytest.approx(theirs, abs=1e-6)
    else:
        assert ours == theirs
