"""Training examples for the chooser (:mod:`rag.reader.chooser`) from KorQuAD 1.0.

Each question of articles 0–69 is asked open-domain, as served: retrieval over all 964
paragraphs, then the reader's and the rules' proposals, each labelled 1 when it is an
exact answer (KorQuAD 1.0 normalisation). A seeded share of the questions is asked a
second time with their own paragraph removed from the results: whatever is proposed
then is wrong (unless another paragraph holds the same answer), which teaches the chooser
when to abstain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from rag.reader.answerer import ReaderAnswerer
from rag.scoring import best_over_truths, exact_match

if TYPE_CHECKING:
    from rag.korquad import KorQuADQuestion
    from rag.pipeline import Pipeline


@dataclass
class Examples:
    """Feature rows with their labels, and how many came from each kind of question."""

    rows: list[list[float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    answerable: int = 0
    unanswerable: int = 0


def collect(pipeline: Pipeline, answerer: ReaderAnswerer, questions: list[KorQuADQuestion],
            negative_share: float, seed: int, progress: Callable[[int], None] | None = None) -> Examples:
    """Ask every question (and a seeded share again without its paragraph); label the proposals."""
    out = Examples()
    unanswerable = set(np.flatnonzero(np.random.default_rng(seed).random(len(questions)) < negative_share).tolist())
    hits_read = answerer.config.hits
    for n, q in enumerate(questions):
        retrieval = pipeline.retrieve(q.question, hits_read)
        choice, _ = answerer.choose(q.question, retrieval.hits, retrieval.documents, retrieval.mentions)
        for proposal, row, _ in choice.proposals:
            out.rows.append(row)
            out.labels.append(_exact(proposal.text, q.answers))
        out.answerable += 1
        if n in unanswerable:
            deeper = pipeline.retrieve(q.question, hits_read + 20)
            hits = [h for h in deeper.hits if h.chunk.doc_id != q.doc_id][:hits_read]
            choice, _ = answerer.choose(q.question, hits, deeper.documents, deeper.mentions)
            for proposal, row, _ in choice.proposals:
                out.rows.append(row)
                # Another paragraph may say the same thing: what is exact still counts as exact.
                out.labels.append(_exact(proposal.text, q.answers))
            out.unanswerable += 1
        if progress:
            progress(n + 1)
    return out


def _exact(text: str, answers: tuple[str, ...]) -> int:
    return int(best_over_truths(exact_match, text, answers) == 1.0)
