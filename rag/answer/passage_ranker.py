"""Passage ranker: a logistic model over :mod:`rag.answer.passage_features`.

A passage's *score* is ``w · x + b``, a logistic model's log-odds that it answers the
question; the best-scoring passage is the answer. Its *confidence* is
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
from typing import Any

from rag.answer.passage_features import PASSAGE_FEATURES, PassageFeatures

#: The passage weights the answerer uses unless it is given others.
PASSAGE_WEIGHTS_FILE = Path(__file__).with_name("passage-weights.json")


@dataclass(frozen=True)
class PassageWeights:
    """A weight per feature and the intercept (the score), the calibration's ``slope`` and
    ``offset`` (the confidence), the abstention threshold on the confidence, and where they
    come from (``source``; ``meta``: data, seed, cross-validation figures)."""

    coef: PassageFeatures
    intercept: float
    slope: float
    offset: float
    threshold: float
    source: str
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def untrained(cls) -> PassageWeights:
        """All-zero weights: every passage scores the same (what a learner starts from)."""
        return cls(PassageFeatures(*(0.0 for _ in PASSAGE_FEATURES)), 0.0, 1.0, 0.0, 0.5, "untrained")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PassageWeights:
        """Weights from their JSON form; a weight for a feature that does not exist is an error."""
        unknown = set(data["coef"]) - set(PASSAGE_FEATURES)
        if unknown:
            raise ValueError(f"passage weights name no feature: {', '.join(sorted(unknown))}")
        coef = PassageFeatures(**{name: float(data["coef"].get(name, 0.0)) for name in PASSAGE_FEATURES})
        return cls(coef, float(data["intercept"]), float(data["calibration"]["slope"]),
                   float(data["calibration"]["offset"]), float(data["threshold"]), str(data["source"]),
                   dict(data.get("meta", {})))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"source": self.source, "coef": {k: round(v, 6) for k, v in self.coef._asdict().items()},
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

    def score(self, features: PassageFeatures) -> float:
        """The log-odds that the passage with ``features`` answers the question."""
        return self.weights.intercept + sum(w * x for w, x in zip(self.weights.coef, features))

    def confidence(self, score: float) -> float:
        """The probability that the best passage, scored ``score``, is right."""
        z = self.weights.slope * score + self.weights.offset
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
