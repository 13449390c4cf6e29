"""Learning the passage ranker from the ``tune`` halves of dev sets (``rag train passages``).

The questions are those marked ``tune`` (``eval/civic_dev.jsonl`` and the questions written
in its form to learn from only, :data:`TRAINING_SET`) whose analysis asks for a passage
(:mod:`rag.answer.kinds`), each asked over an index of the bundled corpus and the statutes;
the ``report`` halves measure the result and are never read here. A passage is labelled
right when it lies in a gold article and holds every key phrase of the gold (civic
questions) or one of its answers (short facts).

Two logistic models (scikit-learn's ``LogisticRegression``: a well-kept, deterministic
solver; a hundred inputs and ten thousand rows need nothing more): the *ranker* over
passages (is this passage right?, over the inputs of :func:`rag.answer.passage_ranker.design`),
then the *calibrator* over each question's best passage, one feature, its out-of-fold ranker score (is the best passage right?). The
threshold is the confidence under which at most 5 % of the right best passages fall out
of fold.

Gradient-boosted trees (LightGBM, as a classifier and as a lambdarank ranker) did not beat the
logistic ranker in cross-validation over the same rows (0.51–0.53 best passage right against
0.56), nor did a stronger or weaker regularisation (C = 0.1: 0.54, C = 10: 0.55).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from rag.answer.answerer import Answerer
from rag.answer.kinds import PASSAGE_KINDS
from rag.answer.learn import expected_calibration_error, refusal_threshold
from rag.answer.passage_ranker import PassageWeights, design
from rag.answer.passages import Passage
from rag.article_eval import resolve_gold
from rag.articles import article_of
from rag.evaluation import contains_answer, load_eval_set
from rag.passage_eval import load_passage_gold
from rag.splits import gold_articles

#: Cross-validation folds (grouped by question).
FOLDS = 5
#: Inverse regularisation strength of both models: scikit-learn's default.
C = 1.0
#: The part of a dev set the passage ranker may learn from.
TUNE = "tune"
#: Questions written in the civic set's form to learn from only (every row ``tune``, no
#: ``report`` half: the civic set's report half measures what is learned from them).
TRAINING_SET = Path("eval/train/civic_passages.jsonl")


@dataclass(frozen=True)
class PassageQuestion:
    """A question to learn from: where its answer is and what the answer must hold.

    ``articles`` are the gold ``(doc_id, 조)`` pairs (none: unanswerable); ``key_phrases``
    must all be in a right passage, one of ``answers`` too when there are any.
    """

    id: str
    text: str
    articles: frozenset[tuple[str, str | None]]
    key_phrases: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()

    def is_right(self, passage: Passage) -> bool:
        """Whether ``passage`` answers the question (see the class docstring)."""
        doc = passage.sentence.doc
        section = doc.section_at(passage.start)
        if (doc.doc_id, article_of(section.label if section else None)) not in self.articles:
            return False
        text = passage.text
        return all(contains_answer(text, (phrase,)) for phrase in self.key_phrases) and (
            not self.answers or contains_answer(text, self.answers))


@dataclass
class Asked:
    """One question asked: its passages' input rows (:func:`rag.answer.passage_ranker.design`) and labels."""

    question: PassageQuestion
    x: np.ndarray
    y: np.ndarray


def passage_questions(sets: Sequence[Path], folders: Sequence[Path]) -> list[PassageQuestion]:
    """The ``tune`` questions of each set: passage sets (``kind`` and a gold section with key
    phrases, :mod:`rag.passage_eval`) or article sets (gold articles by file, resolved to
    document ids through ``folders``, the corpus folders the index is built from)."""
    from rag.loaders import load_file

    out = []
    for path in sets:
        questions = [q for q in load_eval_set(path) if q.part == TUNE]
        passages = load_passage_gold(path)
        if passages is not None:
            out += [PassageQuestion(q.id, q.question, frozenset({passages[q.id].article} if passages[q.id].article else ()),
                                    passages[q.id].key_phrases, q.answers) for q in questions]
        else:
            keys = gold_articles(path)
            gold = resolve_gold({q.id: keys[q.id] for q in questions}, folders, lambda file: load_file(file).doc_id)
            out += [PassageQuestion(q.id, q.question, gold[q.id]) for q in questions]
    return out


def collect(retrieve: Callable[[str, int], Any], answerer: Answerer, questions: Sequence[PassageQuestion],
            progress: Callable[[int], None] | None = None) -> list[Asked]:
    """Ask each question; keep those whose analysis asks for a passage, with labelled rows.

    ``retrieve(question, k)`` should retrieve as the service does for its answerer
    (``Pipeline.retrieve(…, answering=True)``: article units for these questions)."""
    out = []
    for n, question in enumerate(questions):
        retrieval = retrieve(question.text, answerer.config.hits)
        analysis, scored = answerer.passages(question.text, retrieval.hits, retrieval.documents,
                                             mentions=retrieval.mentions, hits_read=len(retrieval.hits))
        if analysis.answer_kind in PASSAGE_KINDS and scored:
            x = design(np.asarray([f for _, f in scored], dtype=np.float64), analysis.answer_kind)
            out.append(Asked(question, x,
                             np.asarray([question.is_right(p) for p, _ in scored], dtype=np.int8)))
        if progress:
            progress(n + 1)
    return out


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    if len(set(y.tolist())) < 2:
        # One class only (a tiny set): nothing to tell apart; the base rate as intercept.
        rate = min(max(float(y.mean()) if len(y) else 0.5, 1e-3), 1 - 1e-3)
        return np.zeros(x.shape[1]), float(np.log(rate / (1 - rate)))
    model = LogisticRegression(C=C, max_iter=2000).fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def _best(asked: Asked, coef: np.ndarray, intercept: float) -> tuple[float, int]:
    """The best passage's score and label (the first of equal scores, as the answerer takes it)."""
    scores = asked.x @ coef + intercept
    best = int(np.argmax(scores))
    return float(scores[best]), int(asked.y[best])


def _out_of_fold(asked: Sequence[Asked], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each question's best-passage score and label under a ranker fitted without its fold."""
    order = np.random.default_rng(seed).permutation(len(asked))
    folds = [order[i::FOLDS] for i in range(FOLDS)]
    scores, labels = np.zeros(len(asked)), np.zeros(len(asked), dtype=np.int8)
    for fold in folds:
        held = set(fold.tolist())
        train = [a for i, a in enumerate(asked) if i not in held]
        coef, intercept = _fit(np.vstack([a.x for a in train]), np.concatenate([a.y for a in train]))
        for i in fold:
            scores[i], labels[i] = _best(asked[i], coef, intercept)
    return scores, labels


def _calibrate(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    slope, offset = _fit(scores.reshape(-1, 1), labels)
    return float(slope[0]), offset


def learn(asked: Sequence[Asked], seed: int, meta: dict[str, Any] | None = None) -> PassageWeights:
    """Fit the ranker on every row and the calibrator on out-of-fold best scores; report
    cross-validated figures in ``meta``."""
    if not asked:
        raise ValueError("no question asks for a passage: nothing to learn from")
    oof_scores, oof_labels = _out_of_fold(asked, seed)
    slope, offset = _calibrate(oof_scores, oof_labels)
    confidence = 1 / (1 + np.exp(-(slope * oof_scores + offset)))
    threshold = refusal_threshold(confidence, oof_labels)
    coef, intercept = _fit(np.vstack([a.x for a in asked]), np.concatenate([a.y for a in asked]))
    answerable = np.asarray([bool(a.question.articles) for a in asked])
    reachable = np.asarray([bool(a.y.any()) for a in asked])
    figures = {
        "questions": len(asked), "answerable": int(answerable.sum()), "with_a_right_passage": int(reachable.sum()),
        "rows": int(sum(len(a.y) for a in asked)),
        "cv_folds": FOLDS,
        "cv_best_right": round(float(oof_labels[answerable].mean()) if answerable.any() else 0.0, 4),
        "cv_best_right_when_reachable": round(float(oof_labels[reachable].mean()) if reachable.any() else 0.0, 4),
        "cv_ece": round(expected_calibration_error(confidence, oof_labels), 4),
        "cv_answered": round(float((confidence >= threshold).mean()), 4),
    }
    return PassageWeights(
        coef=tuple(float(c) for c in coef), intercept=intercept, slope=slope,
        offset=offset, threshold=threshold, source="learned",
        meta={"trained": datetime.date.today().isoformat(), "seed": seed, **(meta or {}), "figures": figures})
