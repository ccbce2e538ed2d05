"""The page's JavaScript check (package.json's `check`: tsc on the modules' JSDoc types,
then node --check on each): it passes on the modules as they are, and fails, naming the
module, on a copy of them with a syntax error or a type error in one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from support.paths import ROOT

NPM = shutil.which("npm")
TSC = ROOT / "node_modules" / ".bin" / "tsc"

pytestmark = pytest.mark.skipif(NPM is None, reason="npm not installed (Node.js 20 or later)")


def check(where: Path) -> subprocess.CompletedProcess[str]:
    if not TSC.exists():
        pytest.fail(f"{TSC} is missing: npm ci (make js-deps) installs it")
    return subprocess.run(
        [NPM, "run", "--silent", "check"], cwd=where, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """What the check reads, copied, with the installed packages linked."""
    for folder in ("static/js", "tests/js"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    for name in ("package.json", "tsconfig.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    return tmp_path


def test_the_page_passes_the_check():
    result = check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "before", "after"),
    [
        pytest.param(
            "static/js/inside/words.js",
            "export const figure = (value) =>",
            "export const figure = (value) =>)",
            id="syntax",
        ),
        pytest.param(
            "static/js/reader.js", "model.can.read_numbers ?", "model.can.readNumbers ?", id="ability"
        ),
        pytest.param(
            "static/js/inside/overview.js",
            "mostActive(pixels, ctx.canvas.width,",
            "mostActive(pixels,",
            id="arguments",
        ),
    ],
)
def test_a_broken_module_fails_the_check(copy, module, before, after):
    path = copy / module
    source = path.read_text()
    assert before in source, f"{module} changed: pick another breakage"
    path.write_text(source.replace(before, after, 1))
    result = check(copy)
    assert result.returncode != 0, result.stdout + result.stderr
    assert module in result.stdout + result.stderr
