"""Learning the chooser (:mod:`rag.reader.chooser`) from labelled proposals.

:class:`Examples` holds the proposals that :mod:`rag.reader.collect` gathered, one row of
features each, labelled twice: exact (for the choice model) and its character F1 (for the
confidence model, mostly right at :data:`~rag.reader.chooser.MOSTLY_RIGHT`). Every row
knows the asking it came from and whether that asking could be answered.

:func:`fit_chooser` fits both models (LightGBM, :data:`~rag.reader.chooser.TREES`) and
picks the abstention threshold from out-of-fold predictions (5 folds, grouped so that a
question's askings never straddle two): per asking, the proposal the choice model prefers
is answered when the confidence model's probability reaches the threshold, and the
threshold kept is the one that makes most askings come out right (an exact answer to an
answerable asking, an abstention on an unanswerable one), weighted as the rows are.

It also learns when the reader need not read at all (:func:`fit_gate`): a third model, the
gate, gives the rule answer the probability that it is exact from what is known before
reading (:data:`~rag.reader.chooser.GATE_FEATURES`), and the level kept is the lowest from
which giving the rule answer straight away leaves as many askings right, out of fold, as
reading and choosing does, on KorQuAD and on each dev set alike. Such a question is answered
in the rules' few milliseconds instead of the reader's tens. Why a model and not a level of
the rules' own confidence: out of fold, when rule answers at confidence 0.99 or more go
unread, KorQuAD's askings are right 0.648 of the time against 0.756 when everything is read,
and the dev sets' 0.781 against 0.773; the rules' confidence means less on encyclopedia
paragraphs than on news and statutes, and the length of the document, among others, tells
the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.reader.chooser import FEATURES, MOSTLY_RIGHT, TREES, Chooser, gate_row
from rag.scoring import best_over_truths, centre_of_widest_best, exact_match, f1

if TYPE_CHECKING:
    from rag.reader.answerer import Choice

#: The thresholds tried: 0.05 to 0.95 in steps of 0.05.
THRESHOLDS = tuple(round(0.05 * n, 2) for n in range(1, 20))
#: The gate's levels tried for answering without the reader, lowest first.
RULES_ALONE_LEVELS = tuple(round(0.5 + 0.05 * n, 2) for n in range(10))
#: Column of ``from_reader`` in a feature row (:data:`~rag.reader.chooser.FEATURES`).
_FROM_READER = FEATURES.index("from_reader")


@dataclass
class Examples:
    """Feature rows with their labels, the reading of an asking each came from, and how many
    askings of each kind."""

    rows: list[list[float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)  # 1: an exact answer
    scores: list[float] = field(default_factory=list)  # character F1 against the gold answers
    weights: list[float] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # one per question: its rows share a fold
    asks: list[int] = field(default_factory=list)
    unanswerable_asks: set[int] = field(default_factory=set)
    answerable: int = 0
    unanswerable: int = 0
    readings: int = 0  # readings added so far; each reading's number is its ``asks`` id

    def add(self, choice: Choice, answers: tuple[str, ...], weight: float, group: str, answerable: bool) -> None:
        """Each proposal of ``choice`` labelled against ``answers`` (what is exact counts as
        exact even when the asking is unanswerable: another paragraph may say the same).

        A choice read in two steps adds both readings, sharing ``weight``: the service
        answers from the first window alone when its choice is clear enough, so the chooser
        learns from first-window readings as well as from complete ones.
        """
        readings = [choice.first, choice] if choice.first is not None else [choice]
        for reading in readings:
            ask = self.readings
            self.readings += 1
            for proposal, row, *_ in reading.proposals:
                self.rows.append(row)
                self.labels.append(int(best_over_truths(exact_match, proposal.text, answers) == 1.0))
                self.scores.append(best_over_truths(f1, proposal.text, answers))
                self.weights.append(weight / len(readings))
                self.groups.append(group)
                self.asks.append(ask)
            if not answerable:
                self.unanswerable_asks.add(ask)
        if answerable:
            self.answerable += 1
        else:
            self.unanswerable += 1


def fit_chooser(examples: Examples, seed: int = 0, meta: dict | None = None) -> Chooser:
    """Both models of the chooser and its threshold, fitted on ``examples``; ``meta["fit"]``
    gets the 5-fold cross-validated log loss, accuracy and ROC AUC of each model and the
    out-of-fold outcome at the chosen threshold."""
    from lightgbm import LGBMClassifier
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold

    x = np.asarray(examples.rows, dtype=np.float64)
    targets = {"choice": np.asarray(examples.labels),
               "confidence": (np.asarray(examples.scores) >= MOSTLY_RIGHT).astype(int)}
    w = np.asarray(examples.weights, dtype=np.float64)
    g = np.unique(np.asarray(examples.groups), return_inverse=True)[1]
    stats: dict = {"examples": len(x), "positives": int(targets["choice"].sum())}
    out_of_fold = {}
    for name, y in targets.items():
        predicted, scores = np.zeros(len(y)), {"log_loss": [], "accuracy": [], "roc_auc": []}
        folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
        for train, test in folds.split(x, y, g):
            model = LGBMClassifier(**TREES, random_state=seed).fit(x[train], y[train], sample_weight=w[train])
            predicted[test] = p = model.predict_proba(x[test])[:, 1]
            scores["log_loss"].append(log_loss(y[test], p, sample_weight=w[test], labels=[0, 1]))
            scores["accuracy"].append(accuracy_score(y[test], p >= 0.5, sample_weight=w[test]))
            scores["roc_auc"].append(roc_auc_score(y[test], p, sample_weight=w[test]))
        out_of_fold[name] = predicted
        stats[name] = {f"cv5_{metric}": round(float(np.mean(values)), 4) for metric, values in scores.items()}
    outcomes = [decide(examples, out_of_fold["choice"], out_of_fold["confidence"], t) for t in THRESHOLDS]
    best = centre_of_widest_best([o["correct"] for o in outcomes])
    stats["threshold"] = {"chosen": THRESHOLDS[best], **outcomes[best]}
    gate, level, stats["rules_alone"] = fit_gate(examples, out_of_fold["choice"], out_of_fold["confidence"],
                                                 THRESHOLDS[best], seed)
    models = [LGBMClassifier(**TREES, random_state=seed).fit(x, y, sample_weight=w).booster_.model_to_string()
              for y in targets.values()]
    return Chooser(*models, threshold=THRESHOLDS[best], gate=gate, rules_alone=level,
                   meta=(meta or {}) | {"fit": stats})


def fit_gate(examples: Examples, choice: np.ndarray, confidence: np.ndarray, threshold: float,
             seed: int = 0) -> tuple[str | None, float | None, dict]:
    """The gate (LightGBM's model text) and its level: the lowest of :data:`RULES_ALONE_LEVELS`
    that leaves some askings unread and, out of fold, as many of every source's askings right as
    always reading does (KorQuAD's as well as each dev set's: a gain on one never pays for a loss
    on another). ``None`` twice when no level does; also the outcome at each level. ``choice``
    and ``confidence`` are the chooser's out-of-fold probabilities for every row, against which
    the gate is judged."""
    from lightgbm import LGBMClassifier
    from sklearn.model_selection import StratifiedGroupKFold

    rules = np.flatnonzero(np.asarray(examples.rows)[:, _FROM_READER] == 0)
    x = np.asarray([gate_row(examples.rows[i]) for i in rules], dtype=np.float64)
    y = np.asarray(examples.labels)[rules]
    w = np.asarray(examples.weights, dtype=np.float64)[rules]
    g = np.unique(np.asarray(examples.groups)[rules], return_inverse=True)[1]
    reading = decide(examples, choice, confidence, threshold)
    if len(np.unique(g)) < 5 or len(np.unique(y)) < 2:  # too little to learn from, or nothing to tell apart
        return None, None, {"chosen": None, "reading": reading}
    gate = np.zeros(len(examples.rows))
    for train, test in StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed).split(x, y, g):
        model = LGBMClassifier(**TREES, random_state=seed).fit(x[train], y[train], sample_weight=w[train])
        gate[rules[test]] = model.predict_proba(x[test])[:, 1]
    outcomes = {level: decide(examples, choice, confidence, threshold, gate=gate, level=level)
                for level in RULES_ALONE_LEVELS}
    level = next((lv for lv, o in outcomes.items()
                  if o["unread"] and all(o["by_source"][s] >= right for s, right in reading["by_source"].items())), None)
    stats = {"chosen": level, "reading": reading, "levels": {f"{lv:.2f}": o for lv, o in outcomes.items()}}
    if level is None:
        return None, None, stats
    model = LGBMClassifier(**TREES, random_state=seed).fit(x, y, sample_weight=w).booster_.model_to_string()
    return model, level, stats


def decide(examples: Examples, choice: np.ndarray, confidence: np.ndarray, threshold: float,
           gate: np.ndarray | None = None, level: float = 1.0) -> dict[str, float]:
    """How the askings of ``examples`` come out when the proposal with the highest ``choice``
    is answered if its ``confidence`` reaches ``threshold``: the weighted share right
    (``correct``), exact answers over answerable askings, false refusals and abstentions on
    unanswerable askings. With ``gate`` (a probability for each rule answer's row), an asking
    whose rule answer has at least ``level`` there gets the rule answer, unread (``unread``: the
    share of askings that do). ``by_source``: the share right of each source's askings
    (:func:`source_of`), unweighted. Askings without proposals abstain whatever the threshold
    and are left out."""
    asks = np.asarray(examples.asks)
    labels, weights = np.asarray(examples.labels), np.asarray(examples.weights)
    from_reader = np.asarray(examples.rows, dtype=np.float64)[:, _FROM_READER]
    right = total = unread = 0.0
    exact, refused, abstained = [], [], []
    by_source: dict[str, list[float]] = {}
    for ask in np.unique(asks):
        rows = np.flatnonzero(asks == ask)
        rule = rows[from_reader[rows] == 0]
        if gate is not None and len(rule) and gate[rule[0]] >= level:
            best, answered = rule[0], True
            unread += 1
        else:
            best = rows[np.argmax(choice[rows])]
            answered = confidence[best] >= threshold
        unanswerable = int(ask) in examples.unanswerable_asks
        outcome = float(labels[best] if answered else unanswerable)
        right += weights[best] * outcome
        total += weights[best]
        by_source.setdefault(source_of(examples.groups[best]), []).append(outcome)
        if unanswerable:
            abstained.append(not answered)
        else:
            exact.append(bool(answered and labels[best]))
            refused.append(not answered)
    return {"correct": round(right / total, 4) if total else 0.0,
            "exact_match": round(float(np.mean(exact)), 4) if exact else 0.0,
            "false_refusals": round(float(np.mean(refused)), 4) if refused else 0.0,
            "abstention_recall": round(float(np.mean(abstained)), 4) if abstained else 0.0,
            "unread": round(unread / len(np.unique(asks)), 4) if len(asks) else 0.0,
            "by_source": {source: round(float(np.mean(values)), 4) for source, values in sorted(by_source.items())}}


def source_of(group: str) -> str:
    """Where an asking comes from: its group up to the first colon (``korquad:17`` → ``korquad``,
    ``statute_dev:law-003`` → ``statute_dev``), as :mod:`rag.reader.collect` names them."""
    return group.split(":", 1)[0]

