"""A person's handwriting, used at once and without retraining: the examples they taught,
in the network's own feature space (its last hidden layer), change what it says of their
next drawing.

Each example is kept as VARIANTS small changes of itself, so that five of a digit cover
how a hand varies. A drawing's resemblance to a digit is its cosine similarity to the
nearest variant of that digit's examples. Only resemblance above RESEMBLES counts: it
adds STRENGTH x (similarity - RESEMBLES) to that digit's log-probability (a product of
experts: the network's answer and the person's examples). "Not a digit" rises the same
way near examples taught as "not a digit", and falls only near a digit's examples that
the drawing very closely resembles (OWN_DIGIT): a doodle does not become a digit because
the person taught some. Parameters measured by `python -m benchmarks.personal`."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from app.core.preprocess import SIZE
from app.core.tasks import NOT_A_DIGIT

STRENGTH = 40.0  # log-probability added per unit of similarity above RESEMBLES
RESEMBLES = 0.6  # a class's nearest example this similar, or more, speaks for it
OWN_DIGIT = 0.75  # this similar to a digit's example, the drawing is that person's digit, not "not a digit"
NEAREST = 3  # examples named in an answer
LABELS = NOT_A_DIGIT + 1  # what an example may be labelled: the ten digits and "not a digit"

# (n, 28, 28) model inputs to (n, 12) outputs and (n, features) of the last hidden layer.
Features = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Example:
    id: int
    label: int  # a digit, or NOT_A_DIGIT
    model_input: np.ndarray  # (28, 28) in [0, 1]: the image the model read


VARIANTS = 10


def variants(model_input: np.ndarray) -> np.ndarray:
    """(VARIANTS, 28, 28): the input, turned 10 degrees either way, moved a pixel in each
    direction, with a thicker and a thinner pen, and a little bigger."""
    x = np.asarray(model_input, np.float32)
    grown = ndimage.zoom(x, 1.15, order=1)
    edge = (grown.shape[0] - SIZE) // 2
    changed = [
        x,
        ndimage.rotate(x, -10, reshape=False, order=1),
        ndimage.rotate(x, 10, reshape=False, order=1),
        *(ndimage.shift(x, step, order=0) for step in ((1, 0), (-1, 0), (0, 1), (0, -1))),
        ndimage.grey_dilation(x, size=(2, 2)),
        ndimage.grey_erosion(x, size=(2, 2)) if x.sum() > 30 else x,  # a faint stroke would vanish
        grown[edge : edge + SIZE, edge : edge + SIZE],
    ]
    return np.clip(np.stack(changed), 0, 1)


def _unit(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, np.float32)
    return features / np.maximum(np.linalg.norm(features, axis=-1, keepdims=True), 1e-9)


class Profile:
    """One person's examples in one model's feature space."""

    def __init__(self, ids: np.ndarray, labels: np.ndarray, features: np.ndarray) -> None:
        order = np.argsort(labels, kind="stable")  # each label's rows together: one reduceat takes their max
        self.ids = ids[order]  # (m,): the example each row is a variant of
        self.labels = labels[order]  # (m,)
        # (features, m): the product's fast layout, and the only copy (see features)
        self._across = np.ascontiguousarray(_unit(features)[order].T)
        self.taught, self._starts = np.unique(self.labels, return_index=True)

    @property
    def features(self) -> np.ndarray:
        """(m, features): a view of the one copy kept."""
        return self._across.T

    @property
    def nbytes(self) -> int:
        """The memory its arrays take: what a cache of profiles counts."""
        arrays = (self.ids, self.labels, self._across, self.taught, self._starts)
        return sum(array.nbytes for array in arrays)

    @classmethod
    def build(cls, examples: list[Example], features: Features) -> Profile:
        """The examples' variants through the network, in one batch."""
        inputs = np.concatenate([variants(e.model_input) for e in examples]) if examples else np.empty((0,))
        hidden = features(inputs)[1] if examples else np.empty((0, 1), np.float32)
        return cls(
            np.repeat([e.id for e in examples], VARIANTS).astype(np.int64),
            np.repeat([e.label for e in examples], VARIANTS).astype(np.int64),
            hidden,
        )

    def update(self, keep: Collection[int], new: list[Example], features: Features) -> Profile:
        """This profile without the examples not in `keep`, and with `new`."""
        kept = np.isin(self.ids, np.fromiter(keep, np.int64, len(keep)))
        added = Profile.build(new, features)
        if not len(added):
            return Profile(self.ids[kept], self.labels[kept], self.features[kept])
        return Profile(
            np.concatenate([self.ids[kept], added.ids]),
            np.concatenate([self.labels[kept], added.labels]),
            np.concatenate([self.features[kept].reshape(-1, added.features.shape[1]), added.features]),
        )

    def __len__(self) -> int:
        return len(self.ids) // VARIANTS

    def adjust(self, outputs: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
        """(n, 12) outputs as the person's examples change them, and for each drawing the
        ids of the NEAREST examples, most similar first."""
        outputs = np.asarray(outputs, np.float64)
        unit = _unit(features)
        # A product per drawing for a few: BLAS's general product of a few rows by thousands
        # of columns takes twice as long as one row's, each (0.45 against 0.1 ms for 500 examples).
        similarity = np.stack([row @ self._across for row in unit]) if len(unit) < 4 else unit @ self._across
        top = min(NEAREST * VARIANTS, similarity.shape[1])  # holds NEAREST examples at least
        best = np.argpartition(-similarity, top - 1, axis=1)[:, :top]
        order = np.take_along_axis(similarity, best, axis=1).argsort(axis=1)[:, ::-1]
        ranked = self.ids[np.take_along_axis(best, order, axis=1)]
        nearest = [[int(i) for i in dict.fromkeys(row)][:NEAREST] for row in ranked]
        resemblance = np.full((len(outputs), LABELS), -1.0)
        resemblance[:, self.taught] = np.maximum.reduceat(similarity, self._starts, axis=1)
        evidence = STRENGTH * np.maximum(resemblance - RESEMBLES, 0)
        digits = np.log(np.maximum(outputs[:, :NOT_A_DIGIT], 1e-30)) + evidence[:, :NOT_A_DIGIT]
        digits = np.exp(digits - digits.max(axis=1, keepdims=True))
        digits /= digits.sum(axis=1, keepdims=True)
        rest = outputs[:, NOT_A_DIGIT:]
        score = np.clip(rest.sum(axis=1), 1e-9, 1 - 1e-9)
        own = STRENGTH * np.maximum(resemblance[:, :NOT_A_DIGIT].max(axis=1) - OWN_DIGIT, 0)
        logit = np.log(score / (1 - score)) + evidence[:, NOT_A_DIGIT] - own
        adjusted = 1 / (1 + np.exp(-logit))
        # "Not a digit" and "several digits" keep their shares: segmentation weighs the two.
        shares = rest / np.maximum(rest.sum(axis=1, keepdims=True), 1e-30)
        return np.concatenate([digits * (1 - adjusted)[:, None], shares * adjusted[:, None]], axis=1), nearest
