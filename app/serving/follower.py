"""Keeping each served model at its promoted version: the thread that asks the store
which version each model serves, and swaps a newly promoted one in whole."""

from __future__ import annotations

import logging
import threading
import time
import zipfile
from collections.abc import Callable

from app.core.classifier import Classifier
from app.core.errors import Refusal
from app.core.explain import Explainer
from app.core.limits import Limits
from app.serving.registry import Registry
from app.store.versions import Versions, transient

log = logging.getLogger("digitpad")
MISSES_KEPT = 10_000  # versions not found, remembered at once


class Follower:
    """Keeps a registry serving each model's promoted version: asks the database every
    `every` seconds, loads a newly promoted version beside the one serving (warmed up, its
    look inside too), then swaps it in whole. A version that will not load is refused,
    logged once, and the old one keeps serving."""

    def __init__(
        self,
        versions: Versions,
        registry: Registry,
        backend: str,
        limits: Limits,
        every: float,
        on_swap: Callable[[str, str, str | None], None] | None = None,
    ) -> None:
        self.versions = versions
        self.registry = registry
        self.backend = backend
        self.limits = limits
        self.every = every
        self.on_swap = on_swap  # (name, version now, version before)
        self.refused: set[tuple[str, str]] = set()  # for good: the version itself is at fault
        self.failing: set[tuple[str, str]] = set()  # for now (transient()): tried again at each poll
        # Versions asked for and not found, and when: asked of the database again only after
        # a poll interval, so that requests naming made-up versions cost it nothing.
        self._missing: dict[tuple[str, str], float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self, name: str, version: str) -> tuple[Classifier, Explainer | None]:
        """The version, loaded and warmed up; raises for one that will not load."""
        folder = self.versions.folder(name, version)
        model = Classifier.load(name, folder, self.backend, self.limits)
        if model.can.read_numbers:
            model.numbers = self.registry.numbers
        if model.version != version:
            raise ValueError(f"its card says version {model.version}")
        model.warm_up()
        explainer = (
            Explainer.load(folder, model.card, self.limits)
            if model.can.look_inside and model.card.layers
            else None
        )
        return model, explainer

    def earlier(self, name: str, version: str) -> Classifier | None:
        """A version other than the one serving, for a request that names it; None for one
        the database does not have (or could not say), remembered for `every` seconds."""
        missed = self._missing.get((name, version))
        if missed is not None and time.monotonic() - missed < self.every:
            return None
        try:
            return self.load(name, version)[0]
        except Refusal:
            if len(self._missing) >= MISSES_KEPT:  # made-up names must not grow it without end
                self._missing.clear()
            self._missing[(name, version)] = time.monotonic()
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.error("%s version %s not loaded: %s", name, version, exc)
            return None

    def check(self) -> None:
        for name in self.registry.names:
            try:
                version = self.versions.serving(name)
            except Refusal:
                return  # the database is away: serve what is served, ask again later
            except (OSError, ValueError):
                continue  # never promoted, and no shipped model: nothing to follow
            served = self.registry.versions().get(name)
            if version == served or (name, version) in self.refused:
                continue
            try:
                model, explainer = self.load(name, version)
            except (Refusal, OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                if not transient(exc):
                    self.refused.add((name, version))
                elif (name, version) in self.failing:
                    continue  # said already: tried again at each poll, quietly
                else:
                    self.failing.add((name, version))
                again = " (tried again at each poll)" if transient(exc) else ""
                log.error(
                    "%s version %s refused%s, version %s keeps serving: %s", name, version, again, served, exc
                )
                continue
            self.failing.discard((name, version))
            self.registry.swap(model, explainer)
            log.info("%s now serves version %s (was %s)", name, version, served)
            if self.on_swap is not None:
                self.on_swap(name, version, served)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._follow, name="versions", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.check()
            except Exception:  # a surprise must not stop the following: logged, asked again
                log.exception("checking the promoted versions failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
