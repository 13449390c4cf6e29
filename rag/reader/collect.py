"""Training examples for the chooser (:mod:`rag.reader.chooser`) from KorQuAD 1.0 and the dev sets.

Each question of articles 0–69 is asked open-domain, as served: retrieval over all 964
paragraphs, then the reader's and the rules' proposals, each labelled by whether it is an
exact answer and by its character F1 (KorQuAD 1.0 normalisation;
:class:`~rag.reader.learn.Examples`). A seeded share of the questions is asked a
second time with their own paragraph removed from the results: whatever is proposed
then is wrong (unless another paragraph holds the same answer), which teaches the chooser
when to abstain. Every asking reads its windows in both steps, and both readings are
labelled (:meth:`~rag.reader.learn.Examples.add`). The ``tune`` questions of the dev sets (:func:`collect_dev`) are asked
over their own index the same way; their unanswerable questions teach abstention there.
Questions asking for a passage are skipped: the chooser never sees them when serving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from rag.answer.kinds import PASSAGE_KINDS
from rag.answer.learn import CIVIC_SHARE, minority_weight
from rag.answer.question import analyze_question
from rag.reader.answerer import ReaderAnswerer
from rag.reader.learn import Examples

if TYPE_CHECKING:
    from rag.answer.examples import Question
    from rag.korquad import KorQuADQuestion
    from rag.pipeline import Pipeline


def collect(pipeline: Pipeline, answerer: ReaderAnswerer, questions: list[KorQuADQuestion],
            negative_share: float, seed: int, progress: Callable[[int], None] | None = None) -> Examples:
    """Ask every question (and a seeded share again without its paragraph); label the proposals."""
    out = Examples()
    unanswerable = set(np.flatnonzero(np.random.default_rng(seed).random(len(questions)) < negative_share).tolist())
    hits_read = answerer.config.hits
    for n, q in enumerate(questions):
        retrieval = pipeline.retrieve(q.question, hits_read)
        choice, _ = answerer.choose(q.question, retrieval.hits, retrieval.documents, retrieval.mentions,
                                    both_steps=True)
        out.add(choice, q.answers, 1.0, f"korquad:{n}", answerable=True)
        if n in unanswerable:
            deeper = pipeline.retrieve(q.question, hits_read + 20)
            hits = [h for h in deeper.hits if h.chunk.doc_id != q.doc_id][:hits_read]
            choice, _ = answerer.choose(q.question, hits, deeper.documents, deeper.mentions, both_steps=True)
            # Another paragraph may say the same thing: what is exact still counts as exact.
            out.add(choice, q.answers, 1.0, f"korquad:{n}", answerable=False)
        if progress:
            progress(n + 1)
    return out


def collect_dev(pipeline: Pipeline, answerer: ReaderAnswerer, questions: Sequence[Question], into: Examples,
                share: float = CIVIC_SHARE, progress: Callable[[int, int], None] | None = None) -> Examples:
    """Ask the dev sets' ``tune`` questions (:func:`rag.answer.training.civic_questions`) over
    ``pipeline``'s index and add their labelled proposals to ``into`` (the KorQuAD examples),
    weighted together to ``share`` of all askings (by default the rule ranker's share). ``progress``
    gets the questions asked so far and how many will be (those not asking for a passage)."""
    asked = [(q, analysis) for q in questions
             if (analysis := analyze_question(q.text)).answer_kind not in PASSAGE_KINDS]
    before = into.answerable + into.unanswerable
    weight = minority_weight(before, len(asked), share) if before and asked else 1.0
    for n, (q, analysis) in enumerate(asked):
        retrieval = pipeline.retrieve(q.text, answerer.config.hits)
        choice, _ = answerer.choose(q.text, retrieval.hits, retrieval.documents, retrieval.mentions,
                                    analysis=analysis, both_steps=True)
        into.add(choice, q.answers, weight, q.group, answerable=bool(q.answers))
        if progress:
            progress(n + 1, len(asked))
    return into
