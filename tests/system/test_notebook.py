"""The tutorial notebook (notebooks/from-tutorial-to-service.ipynb): committed clean, as
notebooks/build.py writes it, and it runs top to bottom."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "from-tutorial-to-service.ipynb"
TIMEOUT_S = 600  # the whole run; it takes about a minute on 2 cores


def _build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("notebook_build", ROOT / "notebooks" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_without_outputs() -> None:
    book = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(book)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], f"{cell.id} has outputs: strip them (notebooks/build.py writes none)"
        assert cell.execution_count is None, f"{cell.id} has an execution count"


def test_is_what_build_writes() -> None:
    # One source of truth: an edit made in Jupyter and not in build.py would be lost on the next build.
    assert NOTEBOOK.read_text() == _build().text(), "run: .venv/bin/python notebooks/build.py"


@pytest.mark.notebook
def test_runs_top_to_bottom(tmp_path: Path) -> None:
    from nbclient import NotebookClient

    book = nbformat.read(NOTEBOOK, as_version=4)
    # python3 is the kernel of the Python running the tests (the venv's), without a kernel spec installed.
    client = NotebookClient(
        book, timeout=TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    started = time.monotonic()
    client.execute()  # raises CellExecutionError, with the cell and its traceback, where one fails
    seconds = time.monotonic() - started
    nbformat.write(book, tmp_path / NOTEBOOK.name)  # kept for a look at what it showed
    assert seconds < TIMEOUT_S
    printed = "".join(
        output.get("text", "") for cell in book.cells if cell.cell_type == "code" for output in cell.outputs
    )
    assert "of the test set" in printed
    assert "shipped: read 7" in printed  # the shipped model reads the drawing through app.core
