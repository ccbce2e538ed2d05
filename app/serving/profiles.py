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
    def __init__(self, examples: Examples, max_bytes: int) -> None:
        self.examples = examples
        # By bytes, not by count: a profile of a thousand examples takes hundreds of times the
        # memory of one with a few. The least recently used are dropped first.
        self.max_bytes = max_bytes
        self._kept: OrderedDict[tuple[str, str, str], tuple[tuple[int, int], Profile]] = OrderedDict()
        self._bytes = 0  # of the profiles in _kept
        self._lock = threading.Lock()

    def get(self, profile: str, model: Classifier) -> Profile | None:
        """The profile's examples for `model`, or None when it has none, or when the store
        cannot be reached: reading never fails for want of the examples. Only a model that
        learns personally uses them."""
        if not model.can.learn_personally:
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
            replaced = self._kept.pop(key, None)
            if replaced is not None:
                self._bytes -= replaced[1].nbytes
            self._kept[key] = (revision, updated)
            self._bytes += updated.nbytes
            while self._bytes > self.max_bytes:  # a profile larger than all of it is used, not kept
                _, (_, dropped) = self._kept.popitem(last=False)
                self._bytes -= dropped.nbytes
        return updated if len(updated) else None
