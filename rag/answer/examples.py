"""Training examples for the ranker's weights: every scored candidate of a question, labelled.

A question is asked as served (retrieval, then the answerer's stages up to the features,
:meth:`rag.answer.answerer.Answerer.candidates`); each candidate's
:class:`~rag.answer.features.Features` vector becomes a row, labelled 1 iff its text
equals a gold answer without whitespace. A question may also be asked *without its
own document* (its gold paragraph dropped from the hits): what is proposed then teaches
the calibrator when to abstain. :mod:`rag.answer.learn` fits the weights on these rows.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Protocol, Sequence

import numpy as np

from rag.answer.answerer import Answerer
from rag.answer.features import FEATURES, Features
from rag.documents import Document
from rag.mentions import Mentions
from rag.retrieval import SearchHit


class Retrieved(Protocol):
    """What :meth:`rag.pipeline.Pipeline.retrieve` returns (only what is read of it)."""

    hits: list[SearchHit]
    mentions: Mentions
    documents: Mapping[str, Document]


#: ``retrieve(question, k)``: the first ``k`` hits for a question, as the pipeline serves them.
Retrieve = Callable[[str, int], Retrieved]


@dataclass(frozen=True)
class Question:
    """A question to learn from: its gold answers (none: unanswerable), its cross-validation
    ``group`` (questions of one group are never split between folds), where it comes from
    (``source``: "korquad", "article_dev", …), its weight, and the document holding its
    answer (``gold_doc``, for asking it again without that document)."""

    text: str
    answers: tuple[str, ...]
    group: str
    source: str
    weight: float = 1.0
    gold_doc: str | None = None


@dataclass
class Asked:
    """One asking of a question: its candidates' features in scoring order and their labels.

    ``withheld`` is True when the question was asked without its own document.
    """

    question: Question
    features: list[Features]
    labels: list[int]
    withheld: bool = False

    @property
    def answerable(self) -> bool:
        """The asking can be answered right: some candidate is a gold answer."""
        return any(self.labels)


@dataclass
class Examples:
    """Every asking, in the order the questions were asked."""

    asked: list[Asked] = field(default_factory=list)

    def count(self, withheld: bool) -> int:
        """How many askings were (``withheld``) or were not without their own document."""
        return sum(a.withheld == withheld for a in self.asked)


def compact(text: str) -> str:
    """The text without whitespace: how a candidate is compared with a gold answer."""
    return "".join(text.split())


def label(text: str, answers: Sequence[str]) -> int:
    """1 iff ``text`` equals one of ``answers``, compared without whitespace."""
    return int(compact(text) in {compact(a) for a in answers})


def ask(answerer: Answerer, question: Question, retrieved: Retrieved, hits: list[SearchHit] | None = None,
        withheld: bool = False) -> Asked:
    """Label every candidate the answerer scores for ``question`` over ``hits`` (default: the retrieved ones)."""
    pairs = answerer.candidates(question.text, retrieved.hits if hits is None else hits, retrieved.documents,
                                retrieved.mentions, hits_read=answerer.config.hits)
    return Asked(question, [f for _, f in pairs], [label(c.text, question.answers) for c, _ in pairs], withheld)


def collect(retrieve: Retrieve, answerer: Answerer, questions: Sequence[Question], withheld_share: float,
            seed: int, progress: Callable[[int], None] | None = None) -> Examples:
    """Ask every question; ask a seeded share of those with a ``gold_doc`` again without it.

    Asked again, a question's hits are the first ``config.hits`` of a deeper search once
    its own document is dropped, so the answerer reads as much as it would have. A
    candidate that still equals a gold answer (another paragraph says the same) keeps
    its label 1: being right is right, and the calibrator must not learn otherwise.
    """
    out = Examples()
    draws = np.random.default_rng(seed).random(len(questions))
    hits_read = answerer.config.hits
    for n, question in enumerate(questions):
        retrieved = retrieve(question.text, hits_read)
        out.asked.append(ask(answerer, question, retrieved))
        if question.gold_doc is not None and draws[n] < withheld_share:
            deeper = retrieve(question.text, hits_read + 20)
            hits = [h for h in deeper.hits if h.chunk.doc_id != question.gold_doc][:hits_read]
            out.asked.append(ask(answerer, question, deeper, hits, withheld=True))
        if progress:
            progress(n + 1)
    return out


def save(examples: Examples, path: Path) -> None:
    """Write the examples as one ``.npz`` file (features as float64, so a reload fits the same weights)."""
    asked = examples.asked
    x = np.asarray([f for a in asked for f in a.features], dtype=np.float64).reshape(-1, len(FEATURES))
    questions = [dataclasses.asdict(a.question) for a in asked]
    with path.open("wb") as out:
        np.savez(out, x=x, labels=np.asarray([v for a in asked for v in a.labels], dtype=np.int8),
                 sizes=np.asarray([len(a.features) for a in asked]), withheld=np.asarray([a.withheld for a in asked]),
                 questions=np.asarray(json.dumps(questions, ensure_ascii=False)), features=np.asarray(FEATURES))


def load(path: Path) -> Examples:
    """Read examples written by :func:`save`; ``ValueError`` when they were collected over other features."""
    with np.load(path) as data:
        if tuple(data["features"].tolist()) != FEATURES:
            raise ValueError(f"{path} holds other features than rag/answer/features.py's; collect them again")
        x, labels, sizes, withheld = data["x"], data["labels"].tolist(), data["sizes"], data["withheld"]
        questions = json.loads(str(data["questions"]))
    out, start = Examples(), 0
    for question, size, held in zip(questions, sizes.tolist(), withheld.tolist()):
        question["answers"] = tuple(question["answers"])
        rows = [Features(*row) for row in x[start:start + size].tolist()]
        out.asked.append(Asked(Question(**question), rows, labels[start:start + size], bool(held)))
        start += size
    return out
