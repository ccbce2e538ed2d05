"""The models a service serves, by name: the one look-up every route and protocol uses
(unknown model, model not loaded, wrong version), readiness, and each digit model's
look inside. A model's version can be swapped while serving: a request holds the model
it looked up, so it is answered wholly by one version."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from app.core.classifier import Classifier
from app.core.errors import Code, Refusal
from app.core.explain import Explainer
from app.core.limits import Limits
from app.core.strip import NumberReader, load_number_reader
from app.core.tasks import Ability

log = logging.getLogger("digitpad")


# A version other than the one serving, by model name and version (None: there is none).
Fetch = Callable[[str, str], Classifier | None]
EARLIER_KEPT = 4  # earlier versions kept loaded for requests that name one


class Registry:
    def __init__(
        self, names: list[str], models: Iterable[Classifier], explainers: dict[str, Explainer] | None = None
    ):
        self.names = list(names)  # what the service serves, the first the default; loaded or not
        self._models = {model.name: model for model in models}
        self._explainers = dict(explainers or {})
        self._lock = threading.Lock()
        self.fetch: Fetch | None = None  # how to load an earlier version, where versions are kept
        self.numbers: NumberReader | None = None  # the strip reader the digit models read numbers with
        self._earlier: dict[tuple[str, str], Classifier] = {}

    @classmethod
    def load(
        cls, folders: dict[str, Path], backend: str, limits: Limits, numbers: Path | None = None
    ) -> Registry:
        """Each model in `folders` (by name, in order), warmed up, and the layers model of
        each digit model; the strip reader in `numbers`, where there is one, reads numbers
        for every digit model. One that fails to load is left out and logged: its requests,
        and readiness, answer that it is not loaded."""
        models, explainers = [], {}
        reader = load_number_reader(numbers) if numbers is not None else None
        for name, folder in folders.items():
            try:
                model = Classifier.load(name, folder, backend, limits)
                if model.can.read_numbers:
                    model.numbers = reader
                model.warm_up()
            except (OSError, ValueError, KeyError) as exc:
                log.error("model %s not loaded from %s: %s", name, folder, exc)
                continue
            models.append(model)
            log.info("model %s version %s loaded (%s backend)", name, model.version, backend)
            if model.can.look_inside and model.card.layers:
                try:
                    explainers[name] = Explainer.load(folder, model.card, limits)
                except (OSError, ValueError) as exc:
                    log.warning("layers model of %s not loaded (its look inside answers 503): %s", name, exc)
        registry = cls(list(folders), models, explainers)
        registry.numbers = reader
        return registry

    def loaded(self) -> list[Classifier]:
        """The models that loaded, in the service's order."""
        return [self._models[name] for name in self.names if name in self._models]

    @property
    def ready(self) -> bool:
        return all(name in self._models for name in self.names)

    def swap(self, model: Classifier, explainer: Explainer | None = None) -> Classifier | None:
        """Serves `model` (loaded and warmed up) in place of its name's; returns the one it replaces,
        which requests that already hold it go on using."""
        with self._lock:
            old = self._models.get(model.name)
            self._models[model.name] = model
            if explainer is not None:
                self._explainers[model.name] = explainer
            else:
                self._explainers.pop(model.name, None)
            if old is not None:
                self._remember(old)
            return old

    def _remember(self, model: Classifier) -> None:
        self._earlier[(model.name, model.version)] = model
        while len(self._earlier) > EARLIER_KEPT:
            del self._earlier[next(iter(self._earlier))]

    def versions(self) -> dict[str, str | None]:
        return {name: self._models[name].version if name in self._models else None for name in self.names}

    def get(self, name: str | None = None, version: str | None = None) -> Classifier:
        """The model called `name` (the default: the first), of `version` if given."""
        name = name or self.names[0]
        if name not in self.names:
            raise Refusal(
                Code.UNKNOWN_MODEL, f"no model {name!r}; this service serves {', '.join(self.names)}"
            )
        model = self._models.get(name)
        if model is None:
            raise Refusal(Code.MODEL_NOT_LOADED, f"model {name} not loaded")
        if version is None or version == model.version:
            return model
        return self._version(name, version, model.version)

    def _version(self, name: str, version: str, serving: str) -> Classifier:
        with self._lock:
            earlier = self._earlier.get((name, version))
        if earlier is None and self.fetch is not None:
            earlier = self.fetch(name, version)
            if earlier is not None:
                with self._lock:
                    self._remember(earlier)
        if earlier is None:
            raise Refusal(
                Code.UNKNOWN_MODEL, f"no model {name} version {version}; it serves version {serving}"
            )
        return earlier

    def able(self, ability: Ability, name: str | None = None) -> Classifier:
        """The model called `name` (by default the first that can), for what only some models
        do: read numbers, learn personally, look inside."""
        if name is None:
            name = next((model.name for model in self.loaded() if model.can.has(ability)), self.names[0])
        model = self.get(name)
        if not model.can.has(ability):
            raise Refusal(
                Code.NOT_A_DIGIT_MODEL, f"model {name} reads {model.task.title.lower()}, not digits"
            )
        return model

    def explainer(self, model: Classifier) -> Explainer:
        """The layers model of `model`: loaded with it, or on first use (~0.1 s, once)."""
        with self._lock:
            explainer = self._explainers.get(model.name)
            if explainer is None or explainer.card is not model.card:
                if model.folder is None:
                    raise Refusal(
                        Code.LAYERS_MODEL_NOT_LOADED, f"model {model.name} has no folder to look inside"
                    )
                try:
                    explainer = Explainer.load(model.folder, model.card, model.limits)
                except (OSError, ValueError) as exc:
                    raise Refusal(Code.LAYERS_MODEL_NOT_LOADED, f"layers model not loaded: {exc}") from exc
                self._explainers[model.name] = explainer
            return explainer
