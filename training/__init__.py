"""Training and evaluating digitpad's models: one recipe per model (training.recipes),
the one loop that runs them (training.fitting) and their figures (training.evaluate).

TensorFlow is imported here, before any module of the package can import it, and
quietly: its C++ logging is turned down first (no cuInit error on a machine without a
GPU, no converter chatter), and what its native libraries print while they load,
before that setting applies (absl's preamble, "Could not find cuda drivers"), is held
back, and shown only if the import fails. Set TF_CPP_MIN_LOG_LEVEL to 0 to see
TensorFlow's logs.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

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


with native_stderr_held():
    import tensorflow  # noqa: F401
