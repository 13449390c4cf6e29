"""Passage ranker: a logistic model over :mod:`rag.answer.passage_features`.

A passage's *score* is ``w · x + b``, a logistic model's log-odds that it answers the
question; the best-scoring passage is the answer. Its inputs ``x`` (:func:`design`) are
each feature, how far the passage falls below the question's best passage on it (a
sentence sharing 40 % of the question's words is a strong candidate among weak ones and
a weak one among strong ones), and each feature again for the kind asked (a list lead's
items weigh otherwise for a list than for a definition): 14 × 8 inputs, learned together.
Its *confidence* is
``1 / (1 + exp(-(slope * score + offset)))``, calibrated on whether the best passage of a
question was right (a passage being right among fifty is another probability than the
best of fifty being right); under ``threshold`` the answerer abstains. The weights are learned
(``rag train passages``, :mod:`rag.answer.passage_learn`) and read from
``passage-weights.json`` beside this module, with the data, seed and cross-validation
figures they came from.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rag.answer.kinds import PASSAGE_KINDS
from rag.answer.passage_features import PASSAGE_FEATURES, PassageFeatures

#: The passage weights the answerer uses unless it is given others.
PASSAGE_WEIGHTS_FILE = Path(__file__).with_name("passage-weights.json")
#: The kinds with inputs of their own, in a fixed order.
KINDS: tuple[str, ...] = tuple(sorted(PASSAGE_KINDS))
#: The names of the ranker's inputs, in :func:`design`'s column order: ``overlap``,
#: ``overlap-below-best``, ``overlap|definition`` ….
DESIGN: tuple[str, ...] = (*PASSAGE_FEATURES, *(f"{name}-below-best" for name in PASSAGE_FEATURES),
                           *(f"{name}|{kind}" for kind in KINDS for name in PASSAGE_FEATURES))


def design(features: np.ndarray, kind: str) -> np.ndarray:
    """The ranker's inputs for one question's passages (rows of ``features``, in
    :data:`PASSAGE_FEATURES` order) when it asks for ``kind``: the features, each minus its
    best value among the rows, and the features in the block of ``kind`` (zeros in the
    other kinds' blocks; a kind outside :data:`KINDS` has none). At least one row."""
    rows, width = features.shape
    by_kind = np.zeros((rows, width * len(KINDS)))
    if kind in KINDS:
        at = KINDS.index(kind) * width
        by_kind[:, at:at + width] = features
    return np.hstack([features, features - features.max(axis=0, keepdims=True), by_kind])


@dataclass(frozen=True)
class PassageWeights:
    """A weight per input of :data:`DESIGN` and the intercept (the score), the calibration's
    ``slope`` and ``offset`` (the confidence), the abstention threshold on the confidence, and
    where they come from (``source``; ``meta``: data, seed, cross-validation figures)."""

    coef: tuple[float, ...]
    intercept: float
    slope: float
    offset: float
    threshold: float
    source: str
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def untrained(cls) -> PassageWeights:
        """All-zero weights: every passage scores the same (what a learner starts from)."""
        return cls(tuple(0.0 for _ in DESIGN), 0.0, 1.0, 0.0, 0.5, "untrained")

    def weight(self, name: str) -> float:
        """The weight of the input called ``name`` (a name of :data:`DESIGN`)."""
        return self.coef[DESIGN.index(name)]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PassageWeights:
        """Weights from their JSON form; an input not named weighs 0, a name that is no input is an error."""
        unknown = set(data["coef"]) - set(DESIGN)
        if unknown:
            raise ValueError(f"passage weights name no feature: {', '.join(sorted(unknown))}")
        coef = tuple(float(data["coef"].get(name, 0.0)) for name in DESIGN)
        return cls(coef, float(data["intercept"]), float(data["calibration"]["slope"]),
                   float(data["calibration"]["offset"]), float(data["threshold"]), str(data["source"]),
                   dict(data.get("meta", {})))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"source": self.source, "coef": {k: round(v, 6) for k, v in zip(DESIGN, self.coef)},
                "intercept": round(self.intercept, 6),
                "calibration": {"slope": round(self.slope, 6), "offset": round(self.offset, 6)},
                "threshold": round(self.threshold, 6), "meta": self.meta}

    def save(self, path: Path) -> None:
        """Write the weights as JSON."""
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> PassageWeights:
        """Read weights written by :meth:`save`."""
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default_passage_weights() -> PassageWeights:
    """The shipped weights, ``passage-weights.json``."""
    return PassageWeights.load(PASSAGE_WEIGHTS_FILE)


class PassageRanker:
    """Scores passages with :class:`PassageWeights`."""

    def __init__(self, weights: PassageWeights):
        self.weights = weights
        self._coef = np.asarray(weights.coef, dtype=np.float64)

    def scores(self, features: Sequence[PassageFeatures], kind: str) -> np.ndarray:
        """The log-odds that each of one question's passages (their ``features``) answers it,
        when it asks for ``kind``."""
        if not features:
            return np.zeros(0)
        return design(np.asarray(features, dtype=np.float64), kind) @ self._coef + self.weights.intercept

    def confidence(self, score: float) -> float:
        """The probability that the best passage, scored ``score``, is right."""
        z = self.weights.slope * score + self.weights.offset
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
