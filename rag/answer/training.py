"""Training the ranker end to end: which questions, asked over which index, fitted and cross-validated.

The questions are KorQuAD 1.0 articles 0–69 (open-domain over all 964 paragraphs, a
third asked again without their own paragraph) and the ``tune`` halves of the civic dev
sets (over corpus/ and the statutes). Never the KorQuAD test articles (70–139) nor the
dev sets' ``report`` halves: those measure what this produces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from rag.answer.answerer import Answerer, AnswererConfig
from rag.answer.examples import Question, collect
from rag.answer.learn import balance, cross_validate, fit, weights_from
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


def korquad_questions(questions: Sequence[KorQuADQuestion]) -> list[Question]:
    """KorQuAD questions to learn from, grouped by article (an article's questions share
    its paragraphs, so they never straddle cross-validation folds)."""
    return [Question(q.question, q.answers, f"korquad-{q.article:03d}", "korquad", gold_doc=q.doc_id)
            for q in questions]


def civic_questions(sets: Mapping[str, Sequence[EvalQuestion]]) -> list[Question]:
    """The ``tune`` questions of each dev set (by name), grouped as :func:`rag.splits.groups`
    groups them (paraphrases and questions sharing an answer together)."""
    out = []
    for name, questions in sets.items():
        group_of = {i: members[0] for members in groups(questions) for i in members}
        out += [Question(q.question, q.answers if q.answerable else (), f"{name}:{group_of[q.id]}", name)
                for q in questions if q.part == TUNE]
    return out


def train(korquad: Pipeline, civic: Pipeline, korquad_qs: Sequence[Question], civic_qs: Sequence[Question],
          seed: int, baseline: Weights, progress: Callable[[str, int], None] | None = None,
          meta: dict[str, Any] | None = None) -> Weights:
    """Ask the questions over their indexes, cross-validate, and fit the weights on all of them.

    ``meta`` (data, seed, command, …) is completed with the counts and the
    cross-validation figures and kept in the weights; ``source`` is "learned: <command>".
    """
    meta = dict(meta or {})
    weighted = balance([*korquad_qs, *civic_qs])
    korquad_qs, civic_qs = weighted[: len(korquad_qs)], weighted[len(korquad_qs):]
    answerer = Answerer(AnswererConfig(hits=korquad.settings.answer_hits))
    asked = collect(korquad.retrieve, answerer, korquad_qs, WITHHELD_SHARE, seed,
                    progress=progress and (lambda n: progress("korquad", n))).asked
    asked += collect(civic.retrieve, answerer, civic_qs, WITHHELD_SHARE, seed,
                     progress=progress and (lambda n: progress("civic", n))).asked
    counts: dict[str, int] = {}
    for q in weighted:
        counts[q.source] = counts.get(q.source, 0) + 1
    meta.update({"questions": counts, "asked_without_their_paragraph": sum(a.withheld for a in asked),
                 "candidates": sum(len(a.features) for a in asked),
                 "civic_question_weight": round(civic_qs[0].weight, 4) if civic_qs else None,
                 "cv": cross_validate(asked, baseline)})
    score, evidence, intercept = fit(asked)
    note = ("Learned (rag/answer/learn.py): score = a pointwise logistic regression over the candidates, "
            "evidence and midpoint = a logistic calibrator of the best candidate, steepness 1, so the "
            "confidence estimates P(the answer is right). See rag/answer/WEIGHTS.md.")
    return weights_from(score, evidence, intercept, f"learned: {meta.get('command', 'rag train answerer')}",
                        note, meta)
