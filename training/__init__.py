"""Training and evaluating digitpad's models: one recipe per model (training.recipes),
the one loop that runs them (training.fitting) and their figures (training.evaluate).

TensorFlow is imported quietly, by whichever module imports it first (Keras does) once
this package is loaded: its C++ logging is turned down first (no cuInit error on a
machine without a GPU, no converter chatter), and what its native libraries print while
they load, before that setting applies (absl's preamble, "Could not find cuda drivers"),
is held back, and shown only if the import fails. Set TF_CPP_MIN_LOG_LEVEL to 0 to see
TensorFlow's logs. It is imported only when a module needs it, not with the package, so
that a command checks its arguments and data first: a wrong folder fails in a second,
not after TensorFlow's seconds of loading.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextmanager
def native_stderr_held() -> Iterator[None]:
    """Holds back what native code writes to stderr inside the block, and shows it if
    the block raises (native libraries write to the file descriptor, not to sys.stderr).
    Also around the first LiteRT interpreter of a run: once TensorFlow is loaded, its
    "Created TensorFlow Lite XNNPACK delegate" ignores TF_CPP_MIN_LOG_LEVEL."""
    sys.stderr.flush()
    stderr = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            held.seek(0)
            os.write(stderr, held.read())
            raise
        finally:
            os.dup2(stderr, 2)
            os.close(stderr)


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` where the other finders would, and has it load with native
    stderr held (`native_stderr_held`)."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "tensorflow":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        loader = spec.loader if spec else None
        if loader is None:
            return spec
        load = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            with native_stderr_held():
                load(module)

        setattr(loader, "exec_module", exec_module)  # noqa: B010 (this loader, not its class)
        return spec


if not any(isinstance(finder, _QuietTensorFlow) for finder in sys.meta_path):
    sys.meta_path.insert(0, _QuietTensorFlow())
