"""Learning the article ranker (:mod:`rag.articles`) from dev sets' ``tune`` halves (``rag train articles``).

The questions are the answerable ``tune`` questions of the sets whose gold is an article:
the citizens' inquiries (``eval/inquiry_dev.jsonl``), the civic set
(``eval/civic_dev.jsonl``: the 조 of each gold section), and the questions written in their
forms to learn from only (:data:`INQUIRY_TRAINING_SET` and the civic
:data:`~rag.answer.passage_learn.TRAINING_SET`). Each is searched over an index of
the bundled corpus and statutes; every article unit among the candidates is a row,
labelled by whether it is a gold article. The ``report`` halves measure the result and are
never read here.

One logistic model (scikit-learn's ``LogisticRegression``: deterministic, and ten features
over a few hundred questions need nothing more) on standardised features, with balanced
class weights (one right unit among a hundred or so); the standardisation is folded into
the stored weights, so serving needs no scikit-learn. Cross-validation, five folds grouped
by question, reports recall@1/10 and MRR of the learned order against the order of the
units' fused reciprocal ranks.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from rag.articles import ArticleFeatures, ArticleWeights

#: Inquiries written in the inquiry set's form to learn from only (every row ``tune``; none is
#: governed by an article of a report question of the inquiry or civic set).
INQUIRY_TRAINING_SET = Path("eval/train/inquiries.jsonl")
#: Cross-validation folds (grouped by question).
FOLDS = 5
#: Inverse regularisation strength: scikit-learn's default.
C = 1.0


@dataclass
class Asked:
    """One question searched: its units, their feature rows and labels."""

    question_id: str
    units: list[tuple[str, str]]
    x: np.ndarray
    y: np.ndarray


def collect(describe: Callable[[str], tuple[list[tuple[str, str]], list[ArticleFeatures]]],
            questions: Sequence[tuple[str, str, frozenset[tuple[str, str]]]],
            progress: Callable[[int], None] | None = None) -> list[Asked]:
    """Search each ``(id, question, gold articles)``; ``describe`` gives a question's units and features."""
    out = []
    for n, (question_id, text, gold) in enumerate(questions, start=1):
        units, features = describe(text)
        if units:
            out.append(Asked(question_id, units, np.asarray(features, dtype=np.float64),
                             np.asarray([unit in gold for unit in units], dtype=np.int8)))
        if progress:
            progress(n)
    return out


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and intercept in the features' own units."""
    if len(set(y.tolist())) < 2:
        return np.zeros(x.shape[1]), 0.0
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(scaler.transform(x), y)
    coef = model.coef_[0] / scaler.scale_
    return coef, float(model.intercept_[0] - coef @ scaler.mean_)


def _first_right(asked: Asked, scores: np.ndarray) -> int | None:
    """The rank of the first gold unit when units are ordered by ``scores`` (ties: first seen)."""
    order = np.argsort(-scores, kind="stable")
    return next((rank for rank, i in enumerate(order, start=1) if asked.y[i]), None)


def ranking_figures(asked: Sequence[Asked], scores: Sequence[np.ndarray]) -> dict[str, float]:
    """recall@1, recall@10 and MRR of the first gold unit."""
    return rank_figures([_first_right(a, s) for a, s in zip(asked, scores)])


def rank_figures(firsts: Sequence[int | None]) -> dict[str, float]:
    """recall@1, recall@10 and MRR from each question's rank of its first gold unit (None: not found)."""
    n = len(firsts) or 1
    return {"recall@1": round(sum(1 for r in firsts if r == 1) / n, 4),
            "recall@10": round(sum(1 for r in firsts if r is not None and r <= 10) / n, 4),
            "mrr": round(sum(1 / r for r in firsts if r) / n, 4)}


def _fused(asked: Asked) -> np.ndarray:
    """The units' fused reciprocal ranks, BM25 counted twice (what serving did before)."""
    names = ArticleFeatures._fields
    return asked.x[:, names.index("dense_reciprocal")] + 2 * asked.x[:, names.index("bm25_reciprocal")]


def learn(asked: Sequence[Asked], seed: int, meta: dict[str, Any],
          refold: Callable[[Sequence[int]], Sequence[Asked]] | None = None) -> ArticleWeights:
    """Weights from every row, with ``FOLDS``-fold cross-validated figures in their meta.

    ``refold(held)`` gives every question searched again with what was itself learned without
    the questions ``held`` (positions in ``asked``): the query adapter learns from these same
    questions, so features read through it flatter the questions it saw. With it, each fold's
    ranker learns from and is scored on its own search, as a new question meets the served one.
    """
    if not asked:
        raise ValueError("no question to learn from")
    order = np.random.default_rng(seed).permutation(len(asked))
    folds = np.array_split(order, min(FOLDS, len(asked)))
    held_out: dict[int, tuple[Asked, np.ndarray]] = {}
    for fold in folds:
        held = set(fold.tolist())
        rows = asked if refold is None else refold(sorted(held))
        train = [rows[i] for i in order if i not in held]
        if not train:
            continue
        coef, intercept = _fit(np.vstack([a.x for a in train]), np.concatenate([a.y for a in train]))
        for i in fold.tolist():
            held_out[i] = rows[i], rows[i].x @ coef + intercept
    kept = [held_out[i] for i in sorted(held_out)]
    coef, intercept = _fit(np.vstack([a.x for a in asked]), np.concatenate([a.y for a in asked]))
    figures = {
        "questions": len(asked),
        "with_a_gold_unit": sum(1 for a in asked if a.y.any()),
        "rows": int(sum(len(a.y) for a in asked)),
        "cv_folds": len(folds),
        "cv_learned": ranking_figures([a for a, _ in kept], [scores for _, scores in kept]),
        "cv_fused": ranking_figures([a for a, _ in kept], [_fused(a) for a, _ in kept]),
        "cv_refolded": refold is not None,
    }
    return ArticleWeights(ArticleFeatures(*coef.tolist()), intercept, "learned",
                          {**meta, "seed": seed, "trained": str(datetime.date.today()), "figures": figures})
