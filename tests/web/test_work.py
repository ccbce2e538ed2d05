"""Where a request's reading runs (app.web.work): a small image on the event loop, the
rest in the pool; and how many workers serve by default."""

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from app.core.ink import Ink
from app.settings import MAX_WORKERS, Settings
from app.web.work import INLINE_POINTS, INLINE_STROKES, Work
from support.drawing import draw, encode
from support.servers import CANVAS


def thread_of(work: Work, source: bytes | Ink) -> str:
    async def read() -> str:
        return await work.reading(lambda _: threading.current_thread().name, source)

    return asyncio.run(read())


@pytest.fixture
def pool():
    with ThreadPoolExecutor(1, thread_name_prefix="pool") as executor:
        yield executor


def ink(points: int) -> Ink:
    return Ink(280, 280, 20, [[(float(i % 280), 140.0) for i in range(points)]])


def test_small_images_and_short_strokes_are_read_on_the_event_loop(pool):
    work = Work(pool, 512 * 512)
    assert thread_of(work, CANVAS.read_bytes()) == threading.current_thread().name
    assert thread_of(work, ink(INLINE_POINTS)) == threading.current_thread().name
    assert thread_of(work, b"not an image") == threading.current_thread().name  # refused at once


def test_large_images_and_long_strokes_go_to_the_pool(pool):
    work = Work(pool, 512 * 512)
    assert thread_of(work, encode(draw(7, size=(1000, 600)))).startswith("pool")
    assert thread_of(work, ink(INLINE_POINTS + 1)).startswith("pool")
    # Each stroke costs more than its points: many short (or empty) ones are not small.
    assert thread_of(work, Ink(280, 280, 20, [[]] * (INLINE_STROKES + 1))).startswith("pool")
    assert thread_of(Work(pool, 0), encode(Image.new("L", (8, 8)))).startswith("pool")  # 0: every one
    assert thread_of(Work(pool, 0), ink(2)).startswith("pool")


def test_by_default_a_worker_per_usable_core_at_most_four(monkeypatch):
    monkeypatch.delenv("DIGITPAD_WORKERS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7})
    assert Settings().workers == MAX_WORKERS == 4
    monkeypatch.setattr(
        os, "sched_getaffinity", lambda pid: {3}
    )  # a container's cpuset, not the host's cores
    assert Settings().workers == 1
    monkeypatch.setenv("DIGITPAD_WORKERS", "3")
    assert Settings().workers == 3
