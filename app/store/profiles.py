"""Each profile's examples as the models see them, kept in memory and brought up to date
with the store before each use: a count and the newest id tell whether anything changed
(in this process or another), and only new examples go through the network."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from app.core.classifier import Classifier
from app.core.errors import Refusal
from app.core.personal import Profile
from app.store.examples import Examples, profile_key

log = logging.getLogger("digitpad")


class Profiles:
    def __init__(self, examples: Examples, size: int = 256) -> None:
        self.examples = examples
        self.size = size  # profiles kept in memory, the least recently used dropped first
        self._kept: OrderedDict[tuple[str, str, str], tuple[tuple[int, int], Profile]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, profile: str, model: Classifier) -> Profile | None:
        """The profile's examples for `model`, or None when it has none, or when the store
        cannot be reached: reading never fails for want of the examples. Only a model that
        reads digits learns from them."""
        if not model.reads_digits:
            return None
        try:
            revision = self.examples.revision(profile)
            if revision[0] == 0:
                return None
            key = (profile_key(profile), model.name, model.version)
            with self._lock:
                kept = self._kept.get(key)
                if kept is not None:
                    self._kept.move_to_end(key)
            if kept is not None and kept[0] == revision:
                return kept[1]
            known = kept[1] if kept is not None else Profile.build([], model.predictor.features)
            ids, new = self.examples.inputs(profile, set(known.ids.tolist()))
        except Refusal as exc:
            log.warning("read without the profile's examples: %s", exc.detail)
            return None
        updated = known.update(ids, new, model.predictor.features)
        with self._lock:
            self._kept[key] = (revision, updated)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return updated if len(updated) else None
