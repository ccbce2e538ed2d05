"""The locks in requirements/ (make lock) that make serve-deps and test-deps install from:
they pin every dependency pyproject.toml names, within its bounds, and serving's pins are
the tests' own. A dependency added to pyproject.toml without `make lock` fails here, not
as an ImportError on a fresh install."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")
# The locks are for Linux x86_64 and Python 3.11, whatever machine runs the test.
LINUX_311 = {key: str(value) for key, value in default_environment().items()} | {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "python_version": "3.11",
}


def pins(name: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match[1])] = match[2]
    return found


def needed(extra: str | None) -> list[Requirement]:
    """The requirements of the project, and of an extra, its own extras followed."""
    requirements = [Requirement(text) for text in PYPROJECT["dependencies"]]
    pending = [extra] if extra else []
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        seen.add(name)
        for text in PYPROJECT["optional-dependencies"][name]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == canonicalize_name(PYPROJECT["name"]):
                pending += [e for e in requirement.extras if e not in seen]
            else:
                requirements.append(requirement)
    return [r for r in requirements if r.marker is None or r.marker.evaluate(LINUX_311)]


@pytest.mark.parametrize(("lock", "extra"), [("serve.lock", None), ("test.lock", "test")])
def test_lock_pins_every_dependency(lock: str, extra: str | None) -> None:
    pinned = pins(lock)
    for requirement in needed(extra):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in requirements/{lock}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pinned[name]}, outside {requirement}: run make lock"
        )


def test_serving_is_what_the_tests_ran() -> None:
    serve, test = pins("serve.lock"), pins("test.lock")
    assert {name: test.get(name) for name in serve} == serve
    assert not {"tensorflow", "keras", "torch"} & serve.keys()  # serving stays small
    assert "torch" not in test
