"""Which answer to give, and whether to give one: gradient-boosted trees learned from data.

Two sources propose an answer for a question: the neural reader's best span and the rule
answerer's best typed candidate. Each proposal is described by the numeric features of
:data:`FEATURES`; two small LightGBM models (:data:`TREES`, trained on the log loss, so
their outputs are probabilities) score it:

* the **choice** model gives the probability that the proposal is an exact answer: the
  more probable proposal is the answer;
* the **confidence** model gives the probability that it is mostly right (character F1 of
  at least :data:`MOSTLY_RIGHT` against a gold answer): that is the answer's confidence,
  and the service abstains when it is under the **threshold** learned with both
  (:func:`rag.reader.learn.fit_chooser`).

A third, smaller model, the **gate**, sees only what is known of the rule answer before the
reader reads (:data:`GATE_FEATURES`) and gives it the probability that it is exact; at or above
the level learned with it (:func:`rag.reader.learn.fit_gate`) the rule answer is given unread,
with that probability as its confidence. On news and statutes the rules' sure answers are as
often right as the chooser's pick, and reading them costs tens of milliseconds for nothing; on
KorQuAD's encyclopedia paragraphs the same confidence means less, which the document's length
among the gate's features tells apart.

Why two: abstaining on P(exact) refuses every answer whose edges are uncertain, though it
points at the right words: out of fold on the training proposals, P(exact) ≥ 0.5 refused
15 % of the answerable KorQuAD questions and 31 % of the dev sets' tune questions. Whether
an answer is about right separates answerable from unanswerable questions about as well,
and leaves the choice of the exact edges to the model trained for it.

Why trees and not a logistic model: what a feature means depends on the others. The
reader's no-answer margin is high for right answers on Wikipedia and low for right answers
on news and statutes, where the rules are usually right; a linear model has to average the
two. Over the same collected proposals (5-fold CV grouped by question, the chosen answer's
exact match at threshold 0.5), trees took KorQuAD articles 0–69 from 0.642 to 0.693 and the
dev sets' tune questions from 0.463 to 0.556 (false refusals 0.44 to 0.33). LightGBM stores
its trees as text, which goes into ``chooser.json`` beside the features and the card.

Trained by ``rag train chooser`` on KorQuAD 1.0 articles 0–69, open-domain, with
questions whose own paragraph was removed from the results as the unanswerable
examples, and on the ``tune`` halves of the article and statute dev sets over corpus/
and the statutes, weighted to a fifth of the total as the rule ranker's are
(:func:`rag.answer.learn.minority_weight`): the service answers from news and statutes,
where the rules' confidence means more than on Wikipedia (:mod:`rag.reader.collect`). More
weight there bought exact answers on those sets and cost abstentions on their unanswerable
questions (bench/results). Every asking is read in both of the reader's steps (its likeliest
window alone, then all), and both readings are examples.

| feature | meaning |
|---|---|
| ``from_reader`` | 1 for the reader's span, 0 for the rule answer |
| ``reader_margin`` | best reader span score minus its window's no-answer score, for the question |
| ``rules_confidence`` | the rule answerer's confidence in its own answer (0 when it has none) |
| ``rules_backs`` | 1 when the rule answer overlaps this proposal |
| ``typed_question`` | 1 when the question asks for a type (date, number, person…), 0 for ``other`` |
| ``typed_from_reader`` | ``typed_question × from_reader``: rules know types, the reader does not |
| ``log_length`` | log(1 + characters of the proposal) |
| ``hit_rank`` | 1 / (1 + retrieval rank of the hit it comes from) |
| ``reader_share`` | the reader's belief in this proposal among its top spans: softmax over their margins, summed over the spans overlapping it |
| ``reader_top_share`` | the same share of the reader's best span alone: how sure the reader is of its own first choice |
| ``log_document_length`` | log(1 + characters of the proposal's document): one encyclopedia paragraph, a news article or a whole statute |

Why the document's length: the rules' confidence and the reader's margin mean different things in a
paragraph of an encyclopedia and in a long article or statute, and nothing else the chooser sees tells
them apart. Out of fold on the dev sets' tune questions (two fold splits) it took the askings right from
0.68 to 0.73–0.78 and false refusals from 0.18–0.19 to 0.09–0.10, with KorQuAD's unchanged (bench/results).

Why not more: three features that said again what others say (whether a reader span overlaps the
proposal and that span's margin, which ``reader_share`` and ``reader_margin`` carry, and whether the
document is a statute, which its length tells) went out. Out of fold over the same proposals (five
fold splits) the trees without them got the dev sets' tune askings right 0.778 times against 0.759,
abstained on 0.78 of their unanswerable ones against 0.72, and KorQuAD's askings as often (0.753).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = ("from_reader", "reader_margin", "rules_confidence", "rules_backs", "typed_question", "typed_from_reader",
            "log_length", "hit_rank", "reader_share", "reader_top_share", "log_document_length")
#: What the gate sees of the rule answer: what is known before the reader reads.
GATE_FEATURES = ("rules_confidence", "typed_question", "log_length", "hit_rank", "log_document_length")
_GATE_COLUMNS = tuple(FEATURES.index(name) for name in GATE_FEATURES)
#: A proposal is mostly right when its KorQuAD character F1 against a gold answer reaches this.
MOSTLY_RIGHT = 0.5
#: LightGBM settings: few, shallow trees for a dozen features and a few thousand proposals,
#: one thread and row-wise histograms so that the same seed gives the same trees.
TREES = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15, "min_child_samples": 20,
         "deterministic": True, "force_row_wise": True, "n_jobs": 1, "verbose": -1}


@dataclass(frozen=True)
class Proposal:
    """One candidate answer: ``doc_id``'s text ``[start:end]``, with where it came from."""

    doc_id: str
    start: int
    end: int
    text: str
    from_reader: bool
    rank: int


def overlaps(a: Proposal, b: Proposal) -> bool:
    return a.doc_id == b.doc_id and a.start < b.end and b.start < a.end


def features(proposal: Proposal, reader_spans: list[tuple[Proposal, float]], rules: Proposal | None,
             rules_confidence: float, typed: bool, document_chars: int = 0) -> list[float]:
    """The :data:`FEATURES` of ``proposal``; ``reader_spans`` are the reader's top spans with
    margins, ``document_chars`` the length of the proposal's document."""
    best_margin = max((m for _, m in reader_spans), default=0.0)
    rules_backs = rules is not None and overlaps(rules, proposal)
    shares = _softmax([m for _, m in reader_spans])
    return [
        float(proposal.from_reader), best_margin, rules_confidence if rules is not None else 0.0, float(rules_backs),
        float(typed), float(typed and proposal.from_reader), math.log1p(len(proposal.text)),
        1.0 / (1 + proposal.rank), float(sum(w for (p, _), w in zip(reader_spans, shares) if overlaps(p, proposal))),
        float(shares.max(initial=0.0)), math.log1p(document_chars),
    ]


def _softmax(margins: list[float]) -> np.ndarray:
    values = np.asarray(margins, dtype=np.float64)
    if not len(values):
        return values
    exp = np.exp(values - values.max())
    return exp / exp.sum()


class Chooser:
    """The learned choice and confidence trees over :data:`FEATURES`, and the abstention
    threshold, stored as LightGBM's model text in JSON.

    An untrained chooser (no models) gives every proposal 0.5: ``rag train chooser``
    collects the proposals with it, before there is anything to learn from.
    """

    def __init__(self, choice: str | None, confidence: str | None = None, threshold: float = 0.5,
                 meta: dict | None = None, gate: str | None = None, rules_alone: float | None = None):
        if (choice is None) != (confidence is None):
            raise ValueError("a chooser needs both its choice and its confidence model, or neither")
        if (gate is None) != (rules_alone is None):
            raise ValueError("a gate needs its level, and a level its gate")
        self.meta = meta or {}
        self.choice, self.confidence, self.threshold = choice, confidence, threshold
        #: The gate (trees over :data:`GATE_FEATURES` of the rule answer) and the probability it
        #: must give for the rule answer to be given without reading; ``None``: always read.
        self.gate, self.rules_alone = gate, rules_alone
        self._boosters = [] if choice is None else [_booster(choice), _booster(confidence)]
        self._gate = None if gate is None else _booster(gate, len(GATE_FEATURES))

    @classmethod
    def untrained(cls) -> Chooser:
        return cls(None)

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        """The probability that each proposal (a :data:`FEATURES` row) is an exact answer."""
        return self._predict(0, rows)

    def confidences(self, rows: list[list[float]]) -> list[float]:
        """The probability that each proposal is mostly right (:data:`MOSTLY_RIGHT`)."""
        return self._predict(1, rows)

    def gate_probability(self, row: list[float]) -> float | None:
        """The gate's probability that the rule answer (its :data:`FEATURES` row) is exact, or
        ``None`` without a gate."""
        if self._gate is None:
            return None
        return float(self._gate.predict(np.asarray([gate_row(row)], dtype=np.float64))[0])

    def _predict(self, model: int, rows: list[list[float]]) -> list[float]:
        if not self._boosters or not rows:
            return [0.5] * len(rows)
        return self._boosters[model].predict(np.asarray(rows, dtype=np.float64)).tolist()

    def save(self, path: Path) -> None:
        if self.choice is None:
            raise ValueError("an untrained chooser has nothing to save")
        payload = {"features": list(FEATURES), **self.meta, "threshold": self.threshold,
                   "rules_alone": self.rules_alone, "trees": TREES, "mostly_right": MOSTLY_RIGHT,
                   "choice": self.choice, "confidence": self.confidence, "gate": self.gate}
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Chooser:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(payload["features"]) != FEATURES or "confidence" not in payload:
            raise ValueError(f"{path} was trained on other features or another model; retrain with `rag train chooser`")
        meta = {k: v for k, v in payload.items()
                if k not in ("features", "threshold", "rules_alone", "trees", "mostly_right", "choice", "confidence",
                             "gate")}
        return cls(payload["choice"], payload["confidence"], payload["threshold"], meta, payload.get("gate"),
                   payload.get("rules_alone"))


def gate_row(row: list[float]) -> list[float]:
    """The :data:`GATE_FEATURES` of a :data:`FEATURES` row."""
    return [row[i] for i in _GATE_COLUMNS]


def _booster(model: str, features: int = len(FEATURES)):
    import lightgbm

    booster = lightgbm.Booster(model_str=model)
    if booster.num_feature() != features:
        raise ValueError(f"a chooser model has {booster.num_feature()} features, not {features}: retrain it")
    return booster
