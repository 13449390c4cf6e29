"""A learned decision between a short typed span and a passage, from the form of a question.

The cue constructions of ``answer_kinds.toml`` (:mod:`rag.answer.kinds`) say *which*
passage a question asks for (a definition, a purpose, a list …); whether it asks for a
passage at all is the harder call, and hand rules made it badly on fresh questions: "…는
뭐야?" asks for a name as often as for a list of duties. This module weighs what the
question's form shows, with weights learned by ``rag train kinds``
(:mod:`rag.answer.kind_learn`) and shipped in ``kind-weights.json``:

=====================  ====================================================================
feature                what it is
=====================  ====================================================================
``rule:K``             the kind the cues and the analysis give (:func:`rag.answer.kinds.answer_kind`)
``cue:G``              the cue group G of ``answer_kinds.toml`` matches
``typed``, ``names``   the question asks for a typed span; its focus noun names the answer
``thing``, ``term``    it asks for a thing; it asks for the term a description defines
``type:T``             the answer type of the analysis (date, person, other …)
``wh:W``               its wh-word (or ``wh:-``)
``focus:N``            its focus noun (사항, 이름, 목적 …)
``tail-i:F/T``         the i-th last morpheme (form/tag), punctuation left out; ``tailtag-i:T``
``fn:F/T``             each ending, particle, auxiliary or derivational morpheme
``verb:F``             each verb or adjective stem (하, 알리, 포함되 → 포함)
``adv:F``              each adverb (왜, 어떻게, 꼭, 미리)
``end:C``              character 2- and 3-grams of the question's last six characters
``words:N``            its length in words, capped at 12
=====================  ====================================================================

No content noun but the focus enters, so the weights learn how people ask, not what about.
One logistic model scores the log-odds of "a passage", another which passage kind; without
a weights file the cue rules decide alone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

KIND_WEIGHTS_FILE = Path(__file__).with_name("kind-weights.json")
_FUNCTION_TAGS = ("E", "J", "VX", "VCP", "VCN", "XS")
_TAIL = 4
_END_CHARS = 6
_MAX_WORDS = 12


@dataclass(frozen=True)
class KindSignals:
    """What question analysis found that bears on the kind: the inputs of :func:`kind_features`."""

    text: str
    tokens: tuple = ()
    rule_kind: str = "short"
    cues: tuple[str, ...] = ()
    typed: bool = False
    names: bool = False
    asks_thing: bool = False
    asks_term: bool = False
    answer_type: str = "other"
    wh: str | None = None
    focus: str | None = None


def kind_features(signals: KindSignals) -> list[str]:
    """The binary features of one question (see the module's table), deduplicated, in order."""
    s = signals
    out = [f"rule:{s.rule_kind}", *(f"cue:{group}" for group in s.cues), f"type:{s.answer_type}",
           f"wh:{s.wh or '-'}", f"words:{min(len(s.text.split()), _MAX_WORDS)}"]
    out += [name for name, on in (("typed", s.typed), ("names", s.names), ("thing", s.asks_thing),
                                  ("term", s.asks_term)) if on]
    if s.focus:
        out.append(f"focus:{s.focus}")
    words = [t for t in s.tokens if not t.tag.startswith("S") or t.tag in ("SL", "SN")]
    for i, token in enumerate(reversed(words[-_TAIL:])):
        out += [f"tail-{i}:{token.form}/{token.tag}", f"tailtag-{i}:{token.tag}"]
    out += [f"fn:{t.form}/{t.tag}" for t in words if t.tag.startswith(_FUNCTION_TAGS)]
    out += [f"verb:{t.form}" for t in words if t.tag.startswith(("VV", "VA"))]
    out += [f"adv:{t.form}" for t in words if t.tag == "MAG"]
    end = "".join(ch for ch in "".join(s.text.split()) if ch.isalnum())[-_END_CHARS:]
    out += [f"end:{end[i:i + n]}" for n in (2, 3) for i in range(len(end) - n + 1)]
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Linear:
    """Weights per feature name and an intercept: a score is their sum over a question's features."""

    coef: dict[str, float]
    intercept: float

    def score(self, features: Iterable[str]) -> float:
        return self.intercept + math.fsum(self.coef.get(name, 0.0) for name in features)

    def to_json(self) -> dict[str, Any]:
        # Sorted, so that retraining diffs stay readable.
        return {"coef": {name: round(value, 6) for name, value in sorted(self.coef.items())},
                "intercept": round(self.intercept, 6)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Linear:
        return cls({str(k): float(v) for k, v in data["coef"].items()}, float(data["intercept"]))


@dataclass(frozen=True)
class KindWeights:
    """Two logistic models over :func:`kind_features`: ``passage`` scores the log-odds of a
    passage (given one at probability ``threshold`` or more), ``kinds`` one score per passage
    kind (the highest names it; none: the cues do)."""

    passage: Linear
    kinds: dict[str, Linear] = field(default_factory=dict)
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    def probability(self, features: Iterable[str]) -> float:
        """P(the question asks for a passage)."""
        return 1.0 / (1.0 + math.exp(-self.passage.score(features)))

    def passage_kind(self, features: Iterable[str]) -> str | None:
        """The passage kind that scores highest (the first of equals), or ``None`` without kind weights."""
        features = list(features)
        return max(self.kinds, key=lambda kind: self.kinds[kind].score(features), default=None)

    def save(self, path: Path) -> None:
        """Write the weights as JSON."""
        data = {"passage": self.passage.to_json(), "kinds": {k: v.to_json() for k, v in sorted(self.kinds.items())},
                "threshold": self.threshold, "meta": self.meta}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> KindWeights:
        """Read weights written by :meth:`save`."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(Linear.from_json(data["passage"]), {k: Linear.from_json(v) for k, v in data["kinds"].items()},
                   float(data.get("threshold", 0.5)), data.get("meta", {}))


@lru_cache(maxsize=1)
def shipped_kind_weights() -> KindWeights | None:
    """The package's ``kind-weights.json``, or ``None`` when there is none (the cues decide)."""
    return KindWeights.load(KIND_WEIGHTS_FILE) if KIND_WEIGHTS_FILE.exists() else None
