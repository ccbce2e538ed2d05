"""Where a request's CPU-bound work runs: a small image on the event loop, the rest in a
thread pool.

Handing work to a thread and back costs about 1 ms of a busy 2-core machine, as much as
reading the page's drawing itself (docs/serving.md, "Where the time goes"): a small
image is read on the event loop, as KServe runs a model's synchronous `predict`.
Whatever may take long (a large image, a batch, the look inside) goes to the pool, so
that it never holds up the other requests for more than a few ms. The database, and
loading a model version from it, have threads of their own and a deadline: a frozen
database holds those threads, never the classification's, nor a request for longer
than its deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TypeVar

import numpy as np

from app.core.decode import header_pixels
from app.core.errors import Code, Refusal
from app.core.ink import Ink, Source

T = TypeVar("T")
Batch = np.ndarray | Sequence[bytes]  # (n, 28, 28) model inputs, or n encoded images
INLINE_POINTS = 2_000  # strokes' points: drawn in well under a millisecond
INLINE_STROKES = 40  # strokes: each a few numpy and Pillow calls, 40 about as long as INLINE_POINTS
# Threads for the database: a frozen server holds each thread that asks it until it wakes,
# so they are the most it can hold; what waits behind them past its deadline never runs.
STORE_THREADS = 8


class Late(Exception):
    """The database's work did not end within its deadline (it may still be running)."""


class Work:
    def __init__(
        self, executor: Executor, inline_pixels: int, store: Executor | None = None, store_wait_s: float = 5.0
    ) -> None:
        self.executor = executor
        self.inline_pixels = inline_pixels
        self.store = store or executor  # the database's threads
        self.store_wait_s = store_wait_s  # the longest a request waits for the database

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

    async def batch(self, work: Callable[[Batch], T], items: Batch) -> T:
        """work(items): here for one model input, or one small image, as /predict reads it;
        a batch goes to the pool."""
        if len(items) == 1 and (isinstance(items, np.ndarray) or self.small(items[0])):
            return work(items)
        return await self.pooled(work, items)

    async def pooled(self, work: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, work, *args)

    async def within(self, wait_s: float, work: Callable[..., T], *args: object) -> T:
        """work(*args), which asks the database, in its threads; raises Late after `wait_s`.
        Work not started by then is dropped: it would answer no one."""
        deadline = time.monotonic() + wait_s

        def started() -> T:
            if time.monotonic() > deadline:
                raise Late()
            return work(*args)

        future = asyncio.get_running_loop().run_in_executor(self.store, started)
        try:
            return await asyncio.wait_for(future, wait_s)
        except TimeoutError:
            raise Late() from None

    async def stored(self, work: Callable[..., T], *args: object) -> T:
        """work(*args), which asks the database; Refusal(STORE_UNAVAILABLE) when it takes
        longer than a request waits (DIGITPAD_STORE_TIMEOUT_S). Started work may still end:
        an example stored then is kept."""
        try:
            return await self.within(self.store_wait_s, work, *args)
        except Late:
            raise Refusal(
                Code.STORE_UNAVAILABLE, "the examples' database did not answer in time; try again later"
            ) from None
