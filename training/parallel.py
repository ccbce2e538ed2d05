"""The shared preprocessing on every core. It reads one image at a time in Python,
NumPy and SciPy, on one core, and training and evaluation put tens of thousands of
images through it (digits, non-digits, photographs of them on paper): worker processes
share them out. The arrays are those one process gives, in the same order.

The workers are forked: they start in milliseconds with every module the run has
loaded, and run no TensorFlow (it is not fork-safe; the preprocessing is only NumPy,
SciPy and Pillow). Where fork is not available, or for a handful of images, the
images are read in this process.
"""

from __future__ import annotations

import functools
import io
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import numpy as np
from PIL import Image

from app.core.errors import Refusal
from app.core.preprocess import to_model_input
from app.core.tasks import Task

T = TypeVar("T")
R = TypeVar("R")
# Fewer images are read here: starting the workers would cost more than they save.
SHARED_OUT = 128  # drawings and scans, about a millisecond or two each
SHARED_OUT_PHOTOS = 16  # photos, about 15 ms each
MOST = 8  # workers, whatever the cores: a container may see more than its share


def workers(items: int, least: int) -> int:
    """Processes for `items` images, none (read here) for fewer than `least`: one per core
    this process may use."""
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return 0  # a worker reads its share itself
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, MOST) if cores > 1 and items >= least else 0


def mapped(function: Callable[[T], R], items: Sequence[T], least: int = SHARED_OUT) -> list[R]:
    """[function(item) for item in items], shared out over the cores where there are at
    least `least` items; `function` must be a module's own (the workers look it up by
    name), or a functools.partial of one."""
    processes = workers(len(items), least)
    if not processes:
        return [function(item) for item in items]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return pool.map(function, items, chunksize=max(1, len(items) // (8 * processes)))


def _input(task: Task, image: Image.Image | np.ndarray) -> np.ndarray:
    return task.inputs([image])[0]


def inputs(task: Task, images: Iterable[Image.Image | np.ndarray]) -> np.ndarray:
    """task.inputs(images): (n, 28, 28) model inputs."""
    return np.stack(mapped(functools.partial(_input, task), list(images)))


def _photo_input(jpeg: bytes) -> np.ndarray | None:
    try:
        return to_model_input(Image.open(io.BytesIO(jpeg)))
    except Refusal:
        return None


def photo_inputs(jpegs: Sequence[bytes]) -> list[np.ndarray | None]:
    """The digit model's input of each JPEG photo, or None where the preprocessing finds no ink."""
    return mapped(_photo_input, jpegs, SHARED_OUT_PHOTOS)
