"""Training and evaluating digitpad's models: one recipe per model (training.recipes),
the one loop that runs them (training.fitting) and their figures (training.evaluate).
TensorFlow and Keras are loaded by training.tf alone, and only where a module needs them:
a command checks its arguments and data first, so that a wrong folder fails in a second,
not after TensorFlow's seconds of loading.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def native_stderr_held() -> Iterator[None]:
    """Holds back what native code writes to stderr inside the block, and shows it if
    the block raises (native libraries write to the file descriptor, not to sys.stderr).
    Around TensorFlow's import (training.tf), and around the first LiteRT interpreter of
    a run: its "Created TensorFlow Lite XNNPACK delegate" ignores TF_CPP_MIN_LOG_LEVEL."""
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
