"""Which answer to give, and whether to give one: gradient-boosted trees learned from data.

Two sources propose an answer for a question: the neural reader's best span and the rule
answerer's best typed candidate. Each proposal is described by the numeric features of
:data:`FEATURES`; a small LightGBM model (:data:`TREES`, trained on the log loss, so its
outputs are probabilities) gives each proposal the probability that it is an exact answer.
The more probable one is given when that probability clears the abstention threshold.

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
where the rules' confidence means more than on Wikipedia (:mod:`rag.reader.collect`).

| feature | meaning |
|---|---|
| ``from_reader`` | 1 for the reader's span, 0 for the rule answer |
| ``reader_margin`` | best reader span score minus its window's no-answer score, for the question |
| ``reader_backs`` | 1 when a reader top span overlaps this proposal |
| ``reader_backing`` | margin of the best reader span overlapping it (0 when none does) |
| ``rules_confidence`` | the rule answerer's confidence in its own answer (0 when it has none) |
| ``rules_backs`` | 1 when the rule answer overlaps this proposal |
| ``typed_question`` | 1 when the question asks for a type (date, number, person…), 0 for ``other`` |
| ``typed_from_reader`` | ``typed_question × from_reader``: rules know types, the reader does not |
| ``log_length`` | log(1 + characters of the proposal) |
| ``hit_rank`` | 1 / (1 + retrieval rank of the hit it comes from) |
| ``statute`` | 1 when the proposal is in a statute (a document with 조/항 sections) |
| ``reader_share`` | the reader's belief in this proposal among its top spans: softmax over their margins, summed over the spans overlapping it |
| ``reader_top_share`` | the same share of the reader's best span alone: how sure the reader is of its own first choice |
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = ("from_reader", "reader_margin", "reader_backs", "reader_backing", "rules_confidence", "rules_backs",
            "typed_question", "typed_from_reader", "log_length", "hit_rank", "statute", "reader_share",
            "reader_top_share")
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
             rules_confidence: float, typed: bool, statute: bool = False) -> list[float]:
    """The :data:`FEATURES` of ``proposal``; ``reader_spans`` are the reader's top spans with
    margins, ``statute`` whether the proposal's document is a statute."""
    best_margin = max((m for _, m in reader_spans), default=0.0)
    backing = [m for p, m in reader_spans if overlaps(p, proposal)]
    rules_backs = rules is not None and overlaps(rules, proposal)
    shares = _softmax([m for _, m in reader_spans])
    return [
        float(proposal.from_reader), best_margin, float(bool(backing)), max(backing, default=0.0),
        rules_confidence if rules is not None else 0.0, float(rules_backs), float(typed),
        float(typed and proposal.from_reader), math.log1p(len(proposal.text)), 1.0 / (1 + proposal.rank),
        float(statute), float(sum(w for (p, _), w in zip(reader_spans, shares) if overlaps(p, proposal))),
        float(shares.max(initial=0.0)),
    ]


def _softmax(margins: list[float]) -> np.ndarray:
    values = np.asarray(margins, dtype=np.float64)
    if not len(values):
        return values
    exp = np.exp(values - values.max())
    return exp / exp.sum()


class Chooser:
    """The learned trees over :data:`FEATURES`, stored as LightGBM's model text in JSON.

    An untrained chooser (``model=None``) gives every proposal 0.5: ``rag train chooser``
    collects the proposals with it, before there is anything to learn from.
    """

    def __init__(self, model: str | None, meta: dict | None = None):
        self.meta = meta or {}
        self.model = model
        self._booster = None
        if model is not None:
            import lightgbm

            self._booster = lightgbm.Booster(model_str=model)
            if self._booster.num_feature() != len(FEATURES):
                raise ValueError(f"the chooser has {self._booster.num_feature()} features, not {len(FEATURES)}: retrain it")

    @classmethod
    def untrained(cls) -> Chooser:
        return cls(None)

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        """The probability that each proposal (a :data:`FEATURES` row) is an exact answer."""
        if self._booster is None or not rows:
            return [0.5] * len(rows)
        return self._booster.predict(np.asarray(rows, dtype=np.float64)).tolist()

    def probability(self, row: list[float]) -> float:
        return self.probabilities([row])[0]

    @classmethod
    def fit(cls, rows: list[list[float]], labels: list[int], seed: int = 0, meta: dict | None = None,
            weights: list[float] | None = None, groups: list[str] | None = None) -> Chooser:
        """Fit on feature rows labelled 1 (an exact answer) or 0, each row weighing ``weights``
        (default 1). Reports 5-fold cross-validation (weighted log loss, accuracy, ROC AUC),
        folds split by ``groups`` so that the proposals of one question never straddle two."""
        from lightgbm import LGBMClassifier
        from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
        from sklearn.model_selection import StratifiedGroupKFold

        x, y = np.asarray(rows, dtype=np.float64), np.asarray(labels)
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
        g = np.arange(len(y)) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
        scores = {"log_loss": [], "accuracy": [], "roc_auc": []}
        folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
        for train, test in folds.split(x, y, g):
            model = LGBMClassifier(**TREES, random_state=seed).fit(x[train], y[train], sample_weight=w[train])
            p = model.predict_proba(x[test])[:, 1]
            scores["log_loss"].append(log_loss(y[test], p, sample_weight=w[test], labels=[0, 1]))
            scores["accuracy"].append(accuracy_score(y[test], p >= 0.5, sample_weight=w[test]))
            scores["roc_auc"].append(roc_auc_score(y[test], p, sample_weight=w[test]))
        model = LGBMClassifier(**TREES, random_state=seed).fit(x, y, sample_weight=w)
        stats = {"examples": len(y), "positives": int(y.sum()),
                 **{f"cv5_{name}": round(float(np.mean(values)), 4) for name, values in scores.items()}}
        return cls(model.booster_.model_to_string(), (meta or {}) | {"fit": stats})

    def save(self, path: Path) -> None:
        if self.model is None:
            raise ValueError("an untrained chooser has nothing to save")
        payload = {"features": list(FEATURES), **self.meta, "trees": TREES, "model": self.model}
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Chooser:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(payload["features"]) != FEATURES or "model" not in payload:
            raise ValueError(f"{path} was trained on other features or another model; retrain with `rag train chooser`")
        meta = {k: v for k, v in payload.items() if k not in ("features", "trees", "model")}
        return cls(payload["model"], meta)
