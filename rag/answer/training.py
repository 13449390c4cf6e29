"""Training the ranker end to end: which questions, asked over which index, fitted and cross-validated.

The questions are KorQuAD 1.0 articles 0–69 (open-domain over all 964 paragraphs, a
third asked again without their own paragraph), the ``tune`` halves of the civic dev
sets and the short-fact questions written to learn from (eval/train/civic_shorts.jsonl),
over corpus/. Never the KorQuAD test articles (70–139) nor the
dev sets' ``report`` halves: those measure what this produces.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from rag.answer.answerer import Answerer, AnswererConfig
from rag.answer.examples import Examples, Question, collect
from rag.answer.learn import REFUSED_RIGHT, balance, cross_validate, fit, recalibrate, weights_from
from rag.answer.ranker import Weights
from rag.evaluation import EvalQuestion
from rag.splits import groups

if TYPE_CHECKING:
    from rag.korquad import KorQuADQuestion
    from rag.pipeline import Pipeline

#: The share of KorQuAD questions asked again without their paragraph: a third, as for
#: the chooser (``rag train chooser``), about the share of unanswerable questions in the dev sets.
WITHHELD_SHARE = 0.33
#: The part of a dev set the ranker may learn from.
TUNE = "tune"
#: The source of the KorQuAD questions (the others are named by their dev or training set).
KORQUAD = "korquad"


def korquad_questions(questions: Sequence[KorQuADQuestion]) -> list[Question]:
    """KorQuAD questions to learn from, grouped by article (an article's questions share
    its paragraphs, so they never straddle cross-validation folds)."""
    return [Question(q.question, q.answers, f"korquad-{q.article:03d}", KORQUAD, gold_doc=q.doc_id)
            for q in questions]


def civic_questions(sets: Mapping[str, Sequence[EvalQuestion]]) -> list[Question]:
    """The ``tune`` questions of each dev set (by name) that ask for a short answer or none,
    grouped as :func:`rag.splits.groups` groups them (paraphrases and questions sharing an
    answer together); an answerable question without answer spans asks for a passage."""
    out = []
    for name, questions in sets.items():
        group_of = {i: members[0] for members in groups(questions) for i in members}
        out += [Question(q.question, q.answers if q.answerable else (), f"{name}:{group_of[q.id]}", name)
                for q in questions if q.part == TUNE and (q.answers or not q.answerable)]
    return out


def ask_all(korquad: Pipeline | None, civic: Pipeline, korquad_qs: Sequence[Question], civic_qs: Sequence[Question],
            seed: int, progress: Callable[[str, int], None] | None = None) -> Examples:
    """Ask the questions over their indexes (weighted by :func:`rag.answer.learn.balance`), labelled;
    without a KorQuAD pipeline (refitting the confidence, :func:`recalibrated`) the civic ones only."""
    weighted = balance([*korquad_qs, *civic_qs])
    korquad_qs, civic_qs = weighted[: len(korquad_qs)], weighted[len(korquad_qs):]
    answerer = Answerer(AnswererConfig(hits=civic.settings.answer_hits))
    examples = Examples([])
    if korquad is not None:
        examples = collect(korquad.retrieve, answerer, korquad_qs, WITHHELD_SHARE, seed,
                           progress=progress and (lambda n: progress(KORQUAD, n)))
    examples.asked += collect(civic.retrieve, answerer, civic_qs, WITHHELD_SHARE, seed,
                              progress=progress and (lambda n: progress("civic", n))).asked
    return examples


def learn(examples: Examples, baseline: Weights, meta: dict[str, Any] | None = None) -> Weights:
    """Cross-validate against ``baseline``, then fit the weights on every example.

    ``meta`` (data, seed, command, …) is completed with the counts and the
    cross-validation figures and kept in the weights; ``source`` is "learned: <command>".
    """
    asked = examples.asked
    meta = {**_counts(examples, meta), "cv": cross_validate(asked, baseline)}
    top1 = meta["cv"]["top1"]["all"]
    # The learned score ships only if it ranks at least as well as the baseline's out of
    # fold; otherwise the baseline's score is kept and only the calibrator is learned
    # (over the best candidates that score ranks), and cross-validated as such.
    keep = top1["learned"] < top1["hand"]
    if keep:
        meta["cv_learned_score"] = meta.pop("cv")
        meta["cv"] = cross_validate(asked, baseline, keep_score=True)
    score, evidence, intercept = fit(asked, np.asarray(baseline.score, dtype=float) if keep else None)
    note = ("Learned (rag/answer/learn.py): " + (
        f"score = the baseline's ({baseline.source}), which ranked better out of fold than a learned one "
        f"(top-1 {top1['hand']} against {top1['learned']}); " if keep else
        "score = a logistic regression over the candidates; ") + "evidence and midpoint = a logistic calibrator "
        "of the best candidate, steepness 1, so the confidence estimates P(the answer is right); threshold = the "
        f"confidence under which {REFUSED_RIGHT * 100:g} % of the right answers fall out of fold. "
        "See rag/answer/WEIGHTS.md.")
    return weights_from(score, evidence, intercept, f"learned: {meta.get('command', 'rag train answerer')}",
                        note, meta, threshold=meta["cv"]["threshold"]["chosen"])


def recalibrated(examples: Examples, baseline: Weights, meta: dict[str, Any] | None = None) -> Weights:
    """``baseline`` with its confidence refitted (:func:`rag.answer.learn.recalibrate`) on the
    examples' civic questions: the same answers and abstentions, a confidence that estimates
    the share right of the answers given to questions on the documents the service serves.

    KorQuAD's questions are left out (they may be in ``examples``, collected for :func:`learn`):
    at the same evidence the rule answer to an encyclopedia question is right less often (0.47
    of the answers given, against 0.70 of the civic training questions'), so a confidence fitted
    on both told a civic asker 0.45 for answers right 0.70 of the time (out of fold, 2026-12-07).
    ``meta`` is completed as :func:`learn` completes it; its cross-validation figures
    (``calibration.recalibrated`` against ``calibration.hand``) are over the same questions."""
    civic = Examples([a for a in examples.asked if a.question.source != KORQUAD])
    meta = {**_counts(civic, meta), "cv": cross_validate(civic.asked, baseline, keep_score=True)}
    refitted = recalibrate(civic.asked, baseline)
    origin = baseline.source.split("; ")[0]  # refitting refitted weights names their first source, once
    note = (f"Score, evidence and the abstention point: {origin}. Confidence (midpoint, steepness) refitted "
            "by a one-variable logistic regression of whether the best candidate is right on its evidence, and the "
            "threshold moved with it, so that the same answers are given (rag/answer/learn.py, recalibrate). "
            "See rag/answer/WEIGHTS.md.")
    return replace(refitted, note=note, meta=meta,
                   source=f"{origin}; confidence refitted: {meta.get('command', 'rag train answerer')}")


def _counts(examples: Examples, meta: dict[str, Any] | None) -> dict[str, Any]:
    """``meta`` with how many questions of each source were asked, and how they weighed."""
    counts: dict[str, int] = {}
    for a in examples.asked:
        if not a.withheld:
            counts[a.question.source] = counts.get(a.question.source, 0) + 1
    civic_weights = {a.question.weight for a in examples.asked if a.question.source != KORQUAD}
    return {**(meta or {}), "questions": counts, "asked_without_their_paragraph": examples.count(withheld=True),
            "candidates": sum(len(a.features) for a in examples.asked),
            "civic_question_weight": round(max(civic_weights), 4) if civic_weights else None}
