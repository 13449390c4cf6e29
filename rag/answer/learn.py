"""Learning the ranker's weights from answered questions (rows of :mod:`rag.answer.examples`).

Two logistic regressions (scikit-learn) on standardised features, their coefficients
folded back onto the raw features so that :class:`~rag.answer.ranker.Ranker` keeps its
plain dot products:

* the **score**, pointwise: every candidate of a question that some candidate answers
  right, labelled right or wrong. Each question weighs its own weight in total, spread
  over its candidates, so a question with 300 candidates does not count 300 times. The
  intercept is dropped: a ranking does not see it.
* the **calibrator**: per asking, the best candidate under the learned score, labelled
  whether it is right; askings without their own document and unanswerable questions
  are (nearly always) 0. Its coefficients are the ``evidence`` weights, its intercept
  the ``midpoint`` (negated) at ``steepness`` 1, so the confidence is exactly the fitted
  P(best is right). Its ``threshold`` is chosen out of fold (:func:`refusal_threshold`):
  the confidence under which few right answers fall, since at 0.5 a calibrated confidence
  refuses every answer it finds more likely wrong than right, which is most of the ones a
  person would still want.

:func:`cross_validate` measures both out of fold, grouped (a KorQuAD article, a dev-set
group never straddles folds), against a baseline's weights (the hand-set ones).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from typing import Any, Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from rag.answer.examples import Asked, Question
from rag.answer.features import FEATURES, Features
from rag.answer.ranker import Weights, logit

#: Inverse L2 strength on standardised features. Not tuned: with ~25 features and tens of
#: thousands of rows the default barely binds, and C is no knob to turn on report figures.
C = 1.0
#: The share of the total question weight the civic dev questions (the ``tune`` halves)
#: carry against KorQuAD: see :func:`balance`.
CIVIC_SHARE = 0.2
#: Bins of the expected calibration error.
ECE_BINS = 10
#: The share of right best answers (out of fold) a learned threshold may refuse.
REFUSED_RIGHT = 0.05


def balance(questions: Sequence[Question], share: float = CIVIC_SHARE, majority: str = "korquad") -> list[Question]:
    """The questions reweighted so that those not of ``majority`` weigh ``share`` of the total.

    Why 0.2: about 60 civic questions against about 2,900 KorQuAD ones would weigh 2 % at
    equal weights, and the features only statutes fire (definition_match, heading_match,
    unasked_document, …) would be learned from almost nothing. Each civic question then
    weighs about 12 KorQuAD ones: enough for the civic domain, the one the service answers
    in, to shape the weights, while 60 questions (a few dozen answer groups) cannot
    overrule 2,900 on the features both share, which would be fitting noise.
    """
    many = sum(q.source == majority for q in questions)
    few = len(questions) - many
    if not many or not few:
        return list(questions)
    each = minority_weight(many, few, share)
    return [q if q.source == majority else _reweighted(q, each) for q in questions]


def minority_weight(many: int, few: int, share: float = CIVIC_SHARE) -> float:
    """The weight of each of ``few`` examples so that together they weigh ``share`` of the
    total against ``many`` examples of weight 1 (see :func:`balance` for why 0.2)."""
    return share * many / ((1 - share) * few)


def _reweighted(question: Question, weight: float) -> Question:
    return Question(question.text, question.answers, question.group, question.source, weight, question.gold_doc)


def _matrix(features: Sequence[Features]) -> np.ndarray:
    return np.asarray(features, dtype=float).reshape(len(features), len(FEATURES))


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, float]:
    """Raw-feature coefficients and intercept of a weighted logistic regression fitted on
    standardised features; a feature that never varies weighs 0."""
    weight = weight / weight.mean()  # so that C means the same whatever the weights' scale
    mean = np.average(x, axis=0, weights=weight)
    std = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=weight))
    varies = std > 1e-12
    scale = np.where(varies, std, 1.0)
    z = np.where(varies, (x - mean) / scale, 0.0)
    if len(set(y.tolist())) < 2:
        # One class only (a tiny fold): no direction to learn; the base rate as intercept.
        rate = float(np.clip(np.average(y, weights=weight), 1e-6, 1 - 1e-6))
        return np.zeros(x.shape[1]), math.log(rate / (1 - rate))
    model = LogisticRegression(C=C, tol=1e-8, max_iter=10_000)
    # One BLAS thread: sums in one order whatever the machine's cores or load. With several,
    # the optimiser's path (and so the weights, by up to 1e-2 here) depends on how the
    # threads split the sums, and the same seed would not always give the same weights.
    with threadpool_limits(1):
        model.fit(z, y, sample_weight=weight)
    coef = np.where(varies, model.coef_[0] / scale, 0.0)
    intercept = float(model.intercept_[0] - np.sum(np.where(varies, model.coef_[0] * mean / scale, 0.0)))
    return coef, intercept


def best_index(features: Sequence[Features], score: np.ndarray) -> int | None:
    """The candidate a score vector ranks first (the first of equals, as the answerer does)."""
    if not features:
        return None
    return int(np.argmax(_matrix(features) @ score))


def score_rows(asked: Sequence[Asked]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The score model's rows: every candidate of the askings some candidate answers right."""
    chosen = [a for a in asked if a.answerable and not a.withheld]
    x = _matrix([f for a in chosen for f in a.features])
    y = np.asarray([label for a in chosen for label in a.labels])
    weight = np.asarray([a.question.weight / len(a.features) for a in chosen for _ in a.features])
    return x, y, weight


def calibration_rows(asked: Sequence[Asked], score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The calibrator's rows: each asking's best candidate under ``score`` and whether it is right."""
    rows, labels, weights = [], [], []
    for a in asked:
        best = best_index(a.features, score)
        if best is not None:
            rows.append(a.features[best])
            labels.append(a.labels[best])
            weights.append(a.question.weight)
    return _matrix(rows), np.asarray(labels), np.asarray(weights, dtype=float)


def fit(asked: Sequence[Asked], score: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """The score weights, the evidence weights and the evidence intercept, fitted on ``asked``;
    with ``score`` given, only the calibrator is fitted, over the best candidates it ranks."""
    if score is None:
        score, _ = fit_logistic(*score_rows(asked))
    evidence, intercept = fit_logistic(*calibration_rows(asked, score))
    return score, evidence, intercept


def weights_from(score: np.ndarray, evidence: np.ndarray, intercept: float, source: str, note: str = "",
                 meta: dict[str, Any] | None = None, threshold: float = 0.5) -> Weights:
    """Fitted coefficients as :class:`Weights`: ``1 / (1 + exp(-(evidence·x - midpoint)))``
    with ``midpoint = -intercept`` and steepness 1 is the calibrator's own probability.

    Rounded to 6 decimals so the file reads well; the rounding is far below any weight's
    effect and the same for the same fit.
    """
    def vector(values: np.ndarray) -> Features:
        return Features(*(round(float(v), 6) + 0.0 for v in values))

    return Weights(score=vector(score), evidence=vector(evidence), midpoint=round(-intercept, 6), steepness=1.0,
                   source=source, note=note, meta=meta or {}, threshold=round(threshold, 6))


def recalibrate(asked: Sequence[Asked], weights: Weights) -> Weights:
    """``weights`` with their confidence refitted on ``asked`` and nothing else moved.

    A one-variable logistic regression of whether each asking's best candidate is right on
    its evidence (``weights.evidence · x``) gives the confidence's ``steepness`` and
    ``midpoint``; the ``threshold`` becomes the new confidence at the evidence where the old
    one met the old threshold. The confidence is monotone in the evidence either way, so
    every answer and abstention stays as it was, and only the number shown with an answer
    changes: the share of such answers that are right, where the hand-set logistic gave
    0.95 and more to answers right about half the time (see :func:`cross_validate`).
    """
    x, y, weight = calibration_rows(asked, np.asarray(weights.score, dtype=float))
    evidence = x @ np.asarray(weights.evidence, dtype=float)
    slope, intercept = fit_logistic(evidence[:, None], y, weight)
    steepness = float(slope[0])
    if steepness <= 0:
        raise ValueError("the evidence does not rise with being right: no confidence to refit")
    midpoint = -intercept / steepness
    cut = weights.midpoint + logit(weights.threshold) / weights.steepness
    threshold = 1 / (1 + math.exp(-steepness * (cut - midpoint)))
    return replace(weights, midpoint=round(midpoint, 6), steepness=round(steepness, 6), threshold=round(threshold, 6))


def _confidence(weights: Weights, x: np.ndarray) -> np.ndarray:
    evidence = x @ np.asarray(weights.evidence, dtype=float)
    return 1 / (1 + np.exp(-weights.steepness * (evidence - weights.midpoint)))


def refusal_threshold(confidence: np.ndarray, right: np.ndarray, share: float = REFUSED_RIGHT) -> float:
    """The highest confidence under which at most ``share`` of the right answers fall: a
    refusal costs a person the answer, so few right ones are refused, and what abstains is
    what scores under nearly every right answer (0.5 when none is right)."""
    kept = np.sort(confidence[right == 1])
    return float(kept[int(share * len(kept))]) if len(kept) else 0.5


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of labels ``y`` under probabilities ``p``."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def reliability_table(p: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> list[dict[str, float]]:
    """Per non-empty equal-width bin of the confidences ``p``: its range, how many rows
    (``answers``), their mean confidence and the share right (``y``)."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            rows.append({"from": b / bins, "to": (b + 1) / bins, "answers": int(inside.sum()),
                         "confidence": float(p[inside].mean()), "right": float(y[inside].mean())})
    return rows


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    """Σ over equal-width bins of |mean confidence - share right| × share of rows in the bin."""
    return sum(abs(row["confidence"] - row["right"]) * row["answers"] / len(p)
               for row in reliability_table(p, y, bins))


def cross_validate(asked: Sequence[Asked], baseline: Weights, folds: int = 5,
                   keep_score: bool = False) -> dict[str, Any]:
    """Out-of-fold figures of the learned weights against ``baseline``, grouped by question group.

    With ``keep_score`` the baseline's score is kept and only the calibrator learned.
    ``top1``: the share of questions (asked with their own document) whose best candidate
    is right, per source and over all; ``calibration``: log loss and ECE of the
    confidence of each asking's best candidate (withheld askings included), learned
    against the baseline's, and the baseline's refitted (:func:`recalibrate`) on the other
    folds; ``threshold``: the learned confidence's :func:`refusal_threshold`
    and, at it, the share of askings answered, of right answers refused and of askings no
    candidate can answer (withheld or unanswerable) abstained on. Folds:
    :class:`~sklearn.model_selection.GroupKFold`, which is deterministic.
    """
    groups = [a.question.group for a in asked]
    hand_score = np.asarray(baseline.score, dtype=float)
    right: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"learned": [], "hand": []})
    probs: dict[str, list[float]] = {"learned": [], "hand": [], "recalibrated": []}
    truth: list[int] = []
    hopeless: list[bool] = []  # the asking's candidates hold no gold answer (withheld, unanswerable)
    hand_truth: list[int] = []  # the baseline's best differs from the learned one's: its labels are its own
    splitter = GroupKFold(n_splits=min(folds, len(set(groups))))
    for train, test in splitter.split(np.zeros(len(asked)), groups=groups):
        score, evidence, intercept = fit([asked[i] for i in train], hand_score if keep_score else None)
        learned = weights_from(score, evidence, intercept, "cv")
        held = [asked[i] for i in test]
        for a in held:
            if a.withheld:
                continue
            for name, vector in (("learned", score), ("hand", hand_score)):
                best = best_index(a.features, vector)
                hit = int(best is not None and a.labels[best] == 1)
                right[a.question.source][name].append(hit)
                right["all"][name].append(hit)
        x, y, _ = calibration_rows(held, score)
        probs["learned"] += _confidence(learned, x).tolist()
        truth += y.tolist()
        hopeless += [not a.answerable for a in held if a.features]
        x_hand, y_hand, _ = calibration_rows(held, hand_score)
        probs["hand"] += _confidence(baseline, x_hand).tolist()
        try:
            probs["recalibrated"] += _confidence(recalibrate([asked[i] for i in train], baseline), x_hand).tolist()
        except ValueError:  # no rising evidence in these folds: nothing refitted to measure
            probs["recalibrated"] += [math.nan] * len(x_hand)
        hand_truth += y_hand.tolist()
    top1 = {source: {"questions": len(r["learned"]),
                     **{name: round(float(np.mean(r[name])), 4) for name in ("learned", "hand")}}
            for source, r in sorted(right.items())}
    calibration = {}
    for name, labels in (("learned", truth), ("hand", hand_truth), ("recalibrated", hand_truth)):
        if any(math.isnan(p) for p in probs[name]):
            calibration[name] = None
            continue
        p, y = np.asarray(probs[name]), np.asarray(labels, dtype=float)
        calibration[name] = {"askings": len(p), "log_loss": round(log_loss(p, y), 4),
                             "ece": round(expected_calibration_error(p, y), 4)}
    p, y, none = np.asarray(probs["learned"]), np.asarray(truth), np.asarray(hopeless, dtype=bool)
    chosen = refusal_threshold(p, y)
    threshold = {"chosen": round(chosen, 6), "answered": round(float((p >= chosen).mean()), 4),
                 "right_refused": round(float((p[y == 1] < chosen).mean()), 4) if (y == 1).any() else 0.0,
                 "hopeless_abstained": round(float((p[none] < chosen).mean()), 4) if none.any() else None}
    return {"folds": splitter.get_n_splits(), "score": "baseline" if keep_score else "learned", "grouped_by": "KorQuAD article; dev-set answer group",
            "top1": top1, "calibration": calibration, "threshold": threshold}
