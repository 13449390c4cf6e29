"""Learning whether a question asks for a short span or a passage (``rag train kinds``).

The data, each question labelled passage or short, from the ``tune`` halves only:

* ``eval/kind_dev.jsonl``: questions people put to a civic chatbot about the bundled
  statutes and news, each with the kind it asks for;
* ``eval/civic_dev.jsonl``: its answerable questions and their gold kind;
* ``eval/article_dev.jsonl`` and ``eval/statute_dev.jsonl``: answerable short facts;
* KorQuAD 1.0 dev, articles 0–69 (when given): short facts written by other people, so that
  the model sees more ways of asking for one; only those no passage cue matches
  (:func:`without_passage_cue`). Together they weigh as much as the rest of the short
  questions, and the passages weigh as much as all the short ones.

One logistic regression (scikit-learn's ``LogisticRegression``: deterministic, and a few
thousand sparse binary features need nothing more) over :func:`rag.answer.kind_model.kind_features`.
Cross-validation is stratified, over the civic chatbot's own questions (KorQuAD stays in
every training fold); the ``report`` half of ``eval/kind_dev.jsonl`` is scored, never learned.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from rag.answer.kind_model import KindWeights, Linear, kind_features
from rag.answer.kinds import decide_kind
from rag.answer.question import analyze_question
from rag.jsonl import read_jsonl

#: Inverse L2 strength: scikit-learn's default, not tuned.
C = 1.0
#: A feature must occur in this many training questions to get a weight (one-off words teach nothing).
MIN_COUNT = 2
FOLDS = 5
#: Where each training question comes from, for the weights' card.
OWN, KORQUAD = "own", "korquad"
#: The kind set, the passage set and the short-fact sets under ``eval/``, learned from in that order.
KIND_SET = "kind_dev.jsonl"
DEV_SETS = (KIND_SET, "civic_dev.jsonl", "article_dev.jsonl", "statute_dev.jsonl")
TUNE = "tune"


@dataclass(frozen=True)
class KindQuestion:
    """A question and the kind it asks for (``short`` or a passage kind)."""

    id: str
    question: str
    kind: str
    part: str
    source: str = OWN

    @property
    def passage(self) -> bool:
        return self.kind != "short"


def load_kind_set(path: Path) -> list[KindQuestion]:
    """A kind set: rows ``{"id", "question", "kind", "part"}``."""
    return [KindQuestion(str(row["id"]), row["question"], row["kind"], row["part"]) for _, row in read_jsonl(path)]


def dev_questions(folder: Path) -> list[KindQuestion]:
    """The ``tune`` questions of :data:`DEV_SETS` in ``folder`` that have an answer, labelled
    with their kind (the short-fact sets' are all short)."""
    from rag.evaluation import load_eval_set
    from rag.passage_eval import load_passage_gold

    out = [q for q in load_kind_set(folder / KIND_SET) if q.part == TUNE]
    for name in DEV_SETS[1:]:
        gold = load_passage_gold(folder / name)
        out += [KindQuestion(q.id, q.question, gold[q.id].kind if gold else "short", TUNE)
                for q in load_eval_set(folder / name) if q.part == TUNE and q.answerable]
    return out


def without_passage_cue(question: str) -> bool:
    """Whether no passage cue of ``answer_kinds.toml`` matches ``question``. KorQuAD answers
    are short spans by construction, whatever the question asks, so a KorQuAD question says
    "short" only when it does not ask the way passage questions do ("…한 이유는?")."""
    signals = analyze_question(question).kind_signals
    return signals is not None and not signals.cues


def rows(questions: Sequence[KindQuestion]) -> tuple[list[dict[str, float]], np.ndarray, np.ndarray]:
    """Feature dicts, labels (1: a passage) and sample weights of ``questions`` (see the module)."""
    own_short = sum(1 for q in questions if q.source == OWN and not q.passage)
    korquad = sum(1 for q in questions if q.source == KORQUAD)
    passages = sum(1 for q in questions if q.passage)
    short_total = own_short + (own_short if korquad else 0)
    weights = []
    for q in questions:
        if q.passage:
            weights.append(short_total / passages)
        else:
            weights.append(own_short / korquad if q.source == KORQUAD else 1.0)
    features = [dict.fromkeys(kind_features(analyze_question(q.question).kind_signals), 1.0) for q in questions]
    return features, np.asarray([q.passage for q in questions], dtype=np.int8), np.asarray(weights)


def _linear(features: list[dict[str, float]], y: np.ndarray, w: np.ndarray | None = None) -> dict[Any, Linear]:
    """Logistic regression over the features seen in at least :data:`MIN_COUNT` questions:
    one :class:`Linear` per class (binary ``y``: the one of class 1)."""
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(features)
    seen = np.flatnonzero(np.asarray((x > 0).sum(axis=0)).ravel() >= MIN_COUNT)
    names = vectorizer.get_feature_names_out()[seen]
    model = LogisticRegression(C=C, max_iter=5000).fit(x[:, seen], y, sample_weight=w)
    # A binary model has one row of weights, for class 1; a multinomial one a row per class.
    classes = model.classes_ if len(model.classes_) > 2 else model.classes_[1:]
    return {cls: Linear({str(n): float(v) for n, v in zip(names, row) if abs(v) >= 1e-6}, float(b))
            for cls, row, b in zip(classes, model.coef_, model.intercept_)}


def _fit(features: list[dict[str, float]], y: np.ndarray, w: np.ndarray,
         kinds: Sequence[str] | None = None) -> KindWeights:
    """The passage model on every question, the kind model on the passage questions (``kinds``: their kinds)."""
    passage = _linear(features, y, w)[1]
    kind_models: dict[str, Linear] = {}
    if kinds is not None:
        chosen = [i for i in range(len(y)) if y[i]]
        labels = np.asarray([kinds[i] for i in chosen])
        if len(set(labels.tolist())) > 1:
            kind_models = {str(k): v for k, v in _linear([features[i] for i in chosen], labels).items()}
    return KindWeights(passage, kind_models)


def accuracy(weights: KindWeights | None, questions: Sequence[KindQuestion]) -> dict[str, float]:
    """Share of ``questions`` whose short-or-passage call is right, and whose kind is, under
    ``weights`` (``None``: the cue rules alone)."""
    if not questions:
        return {"questions": 0, "short_or_passage": 0.0, "kind": 0.0}
    right = kinds = 0
    for q in questions:
        kind = decide_kind(analyze_question(q.question).kind_signals, weights)
        right += (kind != "short") == q.passage
        kinds += kind == q.kind
    return {"questions": len(questions), "short_or_passage": round(right / len(questions), 4),
            "kind": round(kinds / len(questions), 4)}


def cross_validate(questions: Sequence[KindQuestion], features: list[dict[str, float]], y: np.ndarray,
                   w: np.ndarray, seed: int) -> dict[str, float]:
    """Out-of-fold accuracy on the chatbot's own questions (with their :func:`rows`): of the
    short-or-passage call, and of the kind of those that ask for a passage."""
    kinds = [q.kind for q in questions]
    own_index = np.flatnonzero(np.asarray([q.source == OWN for q in questions]))
    right = kind_right = 0
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    for _, held in folds.split(own_index, [kinds[i] for i in own_index]):
        held_rows = set(own_index[held].tolist())
        keep = [i for i in range(len(questions)) if i not in held_rows]
        weights = _fit([features[i] for i in keep], y[keep], w[keep], [kinds[i] for i in keep])
        for i in own_index[held]:
            right += (weights.probability(features[i]) >= weights.threshold) == bool(y[i])
            kind_right += bool(y[i]) and weights.passage_kind(features[i]) == kinds[i]
    passages = int(y[own_index].sum())
    return {"short_or_passage": round(right / len(own_index), 4), "passage_kind": round(kind_right / passages, 4)}


def learn(questions: Sequence[KindQuestion], seed: int, meta: dict[str, Any] | None = None) -> KindWeights:
    """Fit on every question; the cross-validated accuracy goes to ``meta``'s figures."""
    if len({q.passage for q in questions}) < 2:
        raise ValueError("the kind data needs both short and passage questions")
    features, y, w = rows(questions)
    fitted = _fit(features, y, w, [q.kind for q in questions])
    cv = cross_validate(questions, features, y, w, seed)
    figures = {"questions": len(questions), "passage": int(y.sum()),
               "korquad": sum(q.source == KORQUAD for q in questions),
               "features": len(fitted.passage.coef), "cv_folds": FOLDS,
               "cv_short_or_passage": cv["short_or_passage"], "cv_passage_kind": cv["passage_kind"]}
    return KindWeights(fitted.passage, fitted.kinds, fitted.threshold,
                       {"trained": datetime.date.today().isoformat(), "seed": seed, **(meta or {}), "figures": figures})
