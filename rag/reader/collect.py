"""Training examples for the chooser (:mod:`rag.reader.chooser`) from KorQuAD 1.0 and the dev sets.

Each question of articles 0–69 is asked open-domain, as served: retrieval over all 964
paragraphs, then the reader's and the rules' proposals, each labelled 1 when it is an
exact answer (KorQuAD 1.0 normalisation). A seeded share of the questions is asked a
second time with their own paragraph removed from the results: whatever is proposed
then is wrong (unless another paragraph holds the same answer), which teaches the chooser
when to abstain. The ``tune`` questions of the dev sets (:func:`collect_dev`) are asked
over their own index the same way; their unanswerable questions teach abstention there.
Questions asking for a passage are skipped: the chooser never sees them when serving.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from rag.answer.kinds import PASSAGE_KINDS
from rag.answer.learn import minority_weight
from rag.answer.question import analyze_question
from rag.reader.answerer import Choice, ReaderAnswerer
from rag.scoring import best_over_truths, exact_match

if TYPE_CHECKING:
    from rag.answer.examples import Question
    from rag.korquad import KorQuADQuestion
    from rag.pipeline import Pipeline


@dataclass
class Examples:
    """Feature rows with their labels, and how many came from each kind of question."""

    rows: list[list[float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # one per question: its rows share a fold
    answerable: int = 0
    unanswerable: int = 0

    def add(self, choice: Choice, answers: tuple[str, ...], weight: float, group: str) -> None:
        """Each proposal of ``choice``, labelled by whether it is exactly one of ``answers``."""
        for proposal, row, _ in choice.proposals:
            self.rows.append(row)
            self.labels.append(_exact(proposal.text, answers))
            self.weights.append(weight)
            self.groups.append(group)


def collect(pipeline: Pipeline, answerer: ReaderAnswerer, questions: list[KorQuADQuestion],
            negative_share: float, seed: int, progress: Callable[[int], None] | None = None) -> Examples:
    """Ask every question (and a seeded share again without its paragraph); label the proposals."""
    out = Examples()
    unanswerable = set(np.flatnonzero(np.random.default_rng(seed).random(len(questions)) < negative_share).tolist())
    hits_read = answerer.config.hits
    for n, q in enumerate(questions):
        retrieval = pipeline.retrieve(q.question, hits_read)
        choice, _ = answerer.choose(q.question, retrieval.hits, retrieval.documents, retrieval.mentions)
        out.add(choice, q.answers, 1.0, f"korquad:{n}")
        out.answerable += 1
        if n in unanswerable:
            deeper = pipeline.retrieve(q.question, hits_read + 20)
            hits = [h for h in deeper.hits if h.chunk.doc_id != q.doc_id][:hits_read]
            choice, _ = answerer.choose(q.question, hits, deeper.documents, deeper.mentions)
            # Another paragraph may say the same thing: what is exact still counts as exact.
            out.add(choice, q.answers, 1.0, f"korquad:{n}")
            out.unanswerable += 1
        if progress:
            progress(n + 1)
    return out


def _exact(text: str, answers: tuple[str, ...]) -> int:
    return int(best_over_truths(exact_match, text, answers) == 1.0)


def collect_dev(pipeline: Pipeline, answerer: ReaderAnswerer, questions: Sequence[Question], into: Examples,
                progress: Callable[[int, int], None] | None = None) -> Examples:
    """Ask the dev sets' ``tune`` questions (:func:`rag.answer.training.civic_questions`) over
    ``pipeline``'s index and add their labelled proposals to ``into`` (the KorQuAD examples),
    weighted together to :data:`~rag.answer.learn.CIVIC_SHARE` of all askings. ``progress``
    gets the questions asked so far and how many will be (those not asking for a passage)."""
    asked = [(q, analysis) for q in questions
             if (analysis := analyze_question(q.text)).answer_kind not in PASSAGE_KINDS]
    before = into.answerable + into.unanswerable
    weight = minority_weight(before, len(asked)) if before and asked else 1.0
    for n, (q, analysis) in enumerate(asked):
        retrieval = pipeline.retrieve(q.text, answerer.config.hits)
        choice, _ = answerer.choose(q.text, retrieval.hits, retrieval.documents, retrieval.mentions,
                                    analysis=analysis)
        into.add(choice, q.answers, weight, q.group)
        if q.answers:
            into.answerable += 1
        else:
            into.unanswerable += 1
        if progress:
            progress(n + 1, len(asked))
    return into
