"""Ranker: a candidate's score from its features, and the best one's confidence.

Two linear functions of the same :class:`~rag.answer.features.Features` vector: the
*score* ranks candidates (the best is the answer), the *evidence* of the best one goes
through a logistic, ``1 / (1 + exp(-steepness * (evidence - midpoint)))``, to become the
confidence, under which the answerer abstains. Their weights are a :class:`Weights`
object, read from ``weights.json`` beside this module (``"source": "hand-set"`` today),
so a training command can write learned ones in their place.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.answer.features import FEATURES, Features

#: The weights the answerer uses unless it is given others.
WEIGHTS_FILE = Path(__file__).with_name("weights.json")


def _vector(weights: dict[str, float], what: str) -> Features:
    """Weights by feature name as a vector in feature order; a feature not named weighs 0."""
    unknown = set(weights) - set(FEATURES)
    if unknown:
        raise ValueError(f"{what} weights name no feature: {', '.join(sorted(unknown))}")
    return Features(**{name: float(weights.get(name, 0.0)) for name in FEATURES})


@dataclass(frozen=True)
class Weights:
    """The ranker's linear weights: ``score`` and ``evidence`` per feature, the logistic's
    ``midpoint`` and ``steepness``, the confidence under which the answerer abstains
    (``threshold``: learned with the calibrator, which makes the confidence a probability
    with a level of its own), and where they come from (``source``, ``note``, and for
    learned weights ``meta``: data, seed, cross-validation figures)."""

    score: Features
    evidence: Features
    midpoint: float
    steepness: float
    source: str
    note: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    threshold: float = 0.5

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Weights:
        """Weights from their JSON form (see ``weights.json``); unknown feature names are an error."""
        return cls(score=_vector(data["score"], "score"), evidence=_vector(data["evidence"], "evidence"),
                   midpoint=float(data["confidence"]["midpoint"]), steepness=float(data["confidence"]["steepness"]),
                   source=str(data["source"]), note=str(data.get("note", "")), meta=dict(data.get("meta", {})),
                   threshold=float(data["confidence"].get("threshold", 0.5)))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, naming only the features that weigh something."""
        return {"source": self.source, "note": self.note,
                "score": {name: w for name, w in self.score._asdict().items() if w},
                "evidence": {name: w for name, w in self.evidence._asdict().items() if w},
                "confidence": {"midpoint": self.midpoint, "steepness": self.steepness, "threshold": self.threshold},
                **({"meta": self.meta} if self.meta else {})}

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Weights:
        """Read weights from a JSON file."""
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        """Write the weights as JSON, readable by :meth:`load`."""
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def default_weights() -> Weights:
    """The weights of ``weights.json`` beside this module, read once."""
    return Weights.load()


def logit(p: float) -> float:
    """The log-odds of a probability, clamped away from 0 and 1 (the inverse of the confidence's logistic)."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def dot(weights: Features, features: Features) -> float:
    """``Σ weight × feature`` summed in feature order (so a given sum is always the same float)."""
    total = 0.0
    for weight, value in zip(weights, features):
        total += weight * value
    return total


@dataclass(frozen=True)
class Decision:
    """The confidence in the best candidate and whether it is served (else: abstain)."""

    confidence: float
    answered: bool


class Ranker:
    """Scores candidates and decides whether the best one is answer enough."""

    def __init__(self, weights: Weights):
        self.weights = weights

    def score(self, features: Features) -> float:
        """The candidate's ranking score: ``weights.score · features``."""
        return dot(self.weights.score, features)

    def evidence(self, features: Features) -> float:
        """How strongly the candidate's sentence supports it: ``weights.evidence · features``."""
        return dot(self.weights.evidence, features)

    def confidence(self, features: Features) -> float:
        """The logistic of the evidence, calibrated so that it estimates P(answer is right)."""
        w = self.weights
        exponent = -w.steepness * (self.evidence(features) - w.midpoint)
        # exp overflows past ~709: the confidence is 0 to every digit a float has long before.
        return 0.0 if exponent > 700 else 1 / (1 + math.exp(exponent))

    def decide(self, best: Features | None, threshold: float) -> Decision:
        """Answer with the best candidate when its confidence reaches ``threshold``; with
        no candidate at all, abstain with confidence 0."""
        confidence = 0.0 if best is None else self.confidence(best)
        return Decision(confidence, best is not None and confidence >= threshold)
