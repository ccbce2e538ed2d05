"""Where a request's CPU-bound work runs: a small image on the event loop, the rest in a
thread pool.

Handing work to a thread and back costs about 1 ms of a busy 2-core machine, as much as
reading the page's drawing itself (docs/serving.md, "Where the time goes"): a small
image is read on the event loop, as KServe runs a model's synchronous `predict`.
Whatever may take long (a large image, a batch, the look inside, the database) goes to
the pool, so that it never holds up the other requests for more than a few ms."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

from app.core.decode import header_pixels
from app.core.ink import Ink, Source

T = TypeVar("T")
INLINE_POINTS = 2_000  # strokes' points: drawn in well under a millisecond
INLINE_STROKES = 40  # strokes: each a few numpy and Pillow calls, 40 about as long as INLINE_POINTS


class Work:
    def __init__(self, executor: Executor, inline_pixels: int) -> None:
        self.executor = executor
        self.inline_pixels = inline_pixels

    def small(self, source: Source) -> bool:
        """Whether reading it takes a few ms at most. An image whose header cannot be read
        is small: decode() refuses it at once."""
        if isinstance(source, Ink):
            return (
                self.inline_pixels > 0
                and len(source.strokes) <= INLINE_STROKES
                and sum(map(len, source.strokes)) <= INLINE_POINTS
            )
        return header_pixels(source) <= self.inline_pixels

    async def reading(self, work: Callable[[Source], T], source: Source) -> T:
        """work(source): here when the source is small, else in the pool."""
        if self.small(source):
            return work(source)
        return await self.pooled(work, source)

    async def pooled(self, work: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, work, *args)
