"""Evaluation on question sets: retrieval (recall@k, MRR) and answers (EM, F1, citations).

An evaluation set is JSONL, one ``{"id", "question", "answers": [...], "answerable", "part"}``
per line (``part``, ``tune`` or ``report``, is optional; see :mod:`rag.splits`). A retrieved chunk is relevant when it contains one of the gold answers; an
answer is scored against the gold answers with the KorQuAD metrics of
:mod:`rag.scoring`, and every answer's citations are checked against the documents.
The floors and ceilings ``rag eval`` holds these metrics to are :mod:`rag.gates`.
"""

from __future__ import annotations

import statistics
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from rag.jsonl import read_jsonl
from rag.retrieval import Mode, SearchHit
from rag.scoring import best_over_truths, centre_of_widest_best, exact_match, f1

if TYPE_CHECKING:
    from rag.answer.models import Answer
    from rag.documents import Document

MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")
#: Confidence thresholds ``rag eval --calibrate`` tries.
CALIBRATION_THRESHOLDS: tuple[float, ...] = tuple(n / 20 for n in range(21))
#: The halves of a dev set (:mod:`rag.splits`): rules are looked at against ``tune``, figures reported on ``report``.
PARTS: tuple[str, ...] = ("tune", "report")


@dataclass(frozen=True)
class EvalQuestion:
    """One question of an evaluation set."""

    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool
    part: str | None = None


def load_eval_set(path: Path) -> list[EvalQuestion]:
    """Read a JSONL evaluation set; a malformed line raises ``ValueError`` naming it."""
    questions = []
    for number, row in read_jsonl(path):
        try:
            questions.append(
                EvalQuestion(
                    id=str(row["id"]),
                    question=row["question"],
                    answers=tuple(row.get("answers") or ()),
                    answerable=bool(row.get("answerable", bool(row.get("answers")))),
                    part=row.get("part"),
                )
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not an evaluation row (missing {error})") from None
        if questions[-1].part not in (None, *PARTS):
            raise ValueError(f"{path}:{number}: part must be one of {', '.join(PARTS)}, not {row['part']!r}")
    return questions


def _fold(text: str) -> str:
    """Compare answers and chunks ignoring Unicode form and whitespace differences."""
    return "".join(unicodedata.normalize("NFC", text).split())


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether ``text`` holds any of ``answers`` (whitespace-insensitive)."""
    folded = _fold(text)
    return any(_fold(a) and _fold(a) in folded for a in answers)


def first_relevant_rank(
    hits: Sequence[SearchHit], is_relevant: Callable[[SearchHit], bool], by_document: bool = False
) -> int | None:
    """1-based rank of the first relevant hit, or ``None``.

    With ``by_document`` hits from a document already seen are skipped, so ranks count
    documents (paragraph retrieval) rather than chunks.
    """
    seen: set[str] = set()
    rank = 0
    for hit in hits:
        if by_document:
            if hit.chunk.doc_id in seen:
                continue
            seen.add(hit.chunk.doc_id)
        rank += 1
        if is_relevant(hit):
            return rank
    return None


def summarize_ranks(ranks: Sequence[int | None], ks: Sequence[int]) -> dict[str, float]:
    """recall@k for each k and mean reciprocal rank over ``ranks`` (``None`` = miss)."""
    n = len(ranks) or 1
    metrics = {f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in ks}
    metrics["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n
    return metrics


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class RetrievalReport:
    """Metrics per retriever plus hybrid query latency."""

    questions: int
    metrics: dict[str, dict[str, float]]
    latency_ms: dict[str, float]
    misses: list[str]

    def to_dict(self) -> dict:
        return {"questions": self.questions, "metrics": self.metrics, "latency_ms": self.latency_ms, "misses": self.misses}


def evaluate_retrieval(
    search: Callable[[str, int, Mode], list[SearchHit]],
    items: Sequence[tuple[str, str, Callable[[SearchHit], bool]]],
    ks: Sequence[int] = (1, 5, 10),
    by_document: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RetrievalReport:
    """Run every ``(id, question, is_relevant)`` item through each retriever.

    ``search(question, depth, mode)`` is typically ``Pipeline.search``. Latency is the
    wall time of the hybrid search, which includes embedding the question.
    """
    depth = max(ks) * (4 if by_document else 1)
    ranks: dict[str, list[int | None]] = {mode: [] for mode in MODES}
    latencies = []
    misses = []
    for n, (item_id, question, is_relevant) in enumerate(items, start=1):
        for mode in MODES:
            started = time.perf_counter()
            hits = search(question, depth, mode)
            if mode == "hybrid":
                latencies.append((time.perf_counter() - started) * 1000)
            rank = first_relevant_rank(hits, is_relevant, by_document)
            ranks[mode].append(rank)
            if mode == "hybrid" and (rank is None or rank > 5):
                misses.append(item_id)
        if progress:
            progress(n)
    return RetrievalReport(
        questions=len(items),
        metrics={mode: summarize_ranks(r, ks) for mode, r in ranks.items()},
        latency_ms={
            "median": statistics.median(latencies) if latencies else 0.0,
            "p95": percentile(latencies, 95),
        },
        misses=misses,
    )


# -- answers ---------------------------------------------------------------------------


def citation_violations(answer: Answer, documents: Mapping[str, Document]) -> list[str]:
    """The citation invariants ``answer`` breaks, as readable lines (none for a sound answer).

    Every quote is ``document.text[start:end]`` and a sentence or clause (no line
    break, so never a whole chunk), except that a list answer's own quote runs through
    its item lines; each item is ``document.text[start:end]`` inside that quote; a
    non-null answer is a substring of the first quote; ``abstained`` holds exactly when
    ``answer`` is null.
    """
    label = answer.id or answer.question
    problems = []
    if answer.abstained != (answer.answer is None):
        problems.append(f"{label}: abstained={answer.abstained} but answer={answer.answer!r}")
    if answer.answer is not None and not (answer.citations and answer.answer in answer.citations[0].quote):
        problems.append(f"{label}: answer {answer.answer!r} is not in the first citation's quote")
    for number, citation in enumerate(answer.citations, start=1):
        document = documents.get(citation.doc_id)
        if document is None:
            problems.append(f"{label}: citation {number} cites unknown document {citation.doc_id!r}")
        elif document.text[citation.start:citation.end] != citation.quote:
            problems.append(f"{label}: citation {number} is not {citation.doc_id}[{citation.start}:{citation.end}]")
        if "\n" in citation.quote and not (number == 1 and answer.items):
            problems.append(f"{label}: citation {number} spans a line break (a chunk, not a sentence)")
    first = answer.citations[0] if answer.citations else None
    for item in answer.items:
        document = documents.get(first.doc_id) if first else None
        if document is None or document.text[item.start:item.end] != item.text \
                or not first.start <= item.start <= item.end <= first.end:
            problems.append(f"{label}: item {item.text!r} is not a span of the first citation")
    return problems


@dataclass(frozen=True)
class Outcome:
    """One question's answer, scored against the gold answers."""

    question: EvalQuestion
    answer: Answer
    exact: bool
    f1: float
    cited: bool
    latency_ms: float

    @classmethod
    def score(cls, question: EvalQuestion, answer: Answer, latency_ms: float = 0.0) -> Outcome:
        """Score ``answer`` against the gold answers; a null answer scores 0."""
        text = answer.answer
        return cls(
            question=question,
            answer=answer,
            exact=text is not None and bool(best_over_truths(exact_match, text, question.answers)),
            f1=0.0 if text is None else best_over_truths(f1, text, question.answers),
            cited=any(contains_answer(c.quote, question.answers) for c in answer.citations),
            latency_ms=latency_ms,
        )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def decision_metrics(decisions: Sequence[tuple[Outcome, bool]]) -> dict[str, float]:
    """Metrics of answering or abstaining: each item is an outcome and whether it was answered.

    ``exact_match`` is over answerable questions (an abstention scores 0);
    ``abstention_recall`` is the share of unanswerable questions that abstained,
    ``false_refusals`` the share of answerable ones that did; ``precision`` is the
    share of answered questions that are answerable and exactly right; ``correct``
    counts answerable questions answered exactly plus unanswerable ones abstained, over
    all questions.
    """
    answerable = [(o, a) for o, a in decisions if o.question.answerable]
    unanswerable = [(o, a) for o, a in decisions if not o.question.answerable]
    right = sum(1 for o, a in answerable if a and o.exact)
    refused_unanswerable = sum(1 for _, a in unanswerable if not a)
    return {
        "answered": _share(sum(1 for _, a in decisions if a), len(decisions)),
        "precision": _share(right, sum(1 for _, a in decisions if a)),
        "exact_match": _share(right, len(answerable)),
        "abstention_recall": _share(refused_unanswerable, len(unanswerable)),
        "false_refusals": _share(sum(1 for _, a in answerable if not a), len(answerable)),
        "correct": _share(right + refused_unanswerable, len(decisions)),
    }


@dataclass
class AnswerReport:
    """Answer metrics, ask latency, broken citation invariants and the questions that went wrong.

    ``errors`` maps ``wrong`` (answered, not an exact match), ``refused`` (answerable
    but abstained) and ``answered_unanswerable`` to question ids.
    """

    questions: int
    metrics: dict[str, float]
    latency_ms: dict[str, float]
    violations: list[str]
    errors: dict[str, list[str]]


def ask_all(
    ask: Callable[..., Answer], questions: Sequence[EvalQuestion], progress: Callable[[int], None] | None = None
) -> list[Outcome]:
    """Ask every question (``ask(question, question_id=id)``, typically ``Pipeline.ask``) and score it."""
    outcomes = []
    for n, question in enumerate(questions, start=1):
        started = time.perf_counter()
        answer = ask(question.question, question_id=question.id)
        outcomes.append(Outcome.score(question, answer, (time.perf_counter() - started) * 1000))
        if progress:
            progress(n)
    return outcomes


def summarize_answers(outcomes: Sequence[Outcome], documents: Mapping[str, Document]) -> AnswerReport:
    """Metrics over the answers as given, with every answer's citations checked against ``documents``.

    ``f1`` and ``citation_hit`` are over answerable questions, an abstention scoring 0;
    ``invariant_violations`` counts broken citation invariants (see
    :func:`citation_violations`).
    """
    answerable = [o for o in outcomes if o.question.answerable]
    violations = [problem for o in outcomes for problem in citation_violations(o.answer, documents)]
    decisions = decision_metrics([(o, not o.answer.abstained) for o in outcomes])
    metrics = {
        "exact_match": decisions.pop("exact_match"),
        "f1": _share(sum(o.f1 for o in answerable), len(answerable)),
        "citation_hit": _share(sum(1 for o in answerable if o.cited), len(answerable)),
        **decisions,
        "invariant_violations": float(len(violations)),
    }
    latencies = [o.latency_ms for o in outcomes]
    return AnswerReport(
        questions=len(outcomes),
        metrics=metrics,
        latency_ms={"median": statistics.median(latencies) if latencies else 0.0, "p95": percentile(latencies, 95)},
        violations=violations,
        errors={
            "wrong": [o.question.id for o in answerable if o.answer.answer is not None and not o.exact],
            "refused": [o.question.id for o in answerable if o.answer.abstained],
            "answered_unanswerable": [
                o.question.id for o in outcomes if not o.question.answerable and not o.answer.abstained
            ],
        },
    )


@dataclass(frozen=True)
class CalibrationRow:
    """The decision metrics (see :func:`decision_metrics`) at one confidence threshold."""

    threshold: float
    metrics: dict[str, float]


#: What ``calibrate`` maximises, in words for the report.
CALIBRATION_CRITERION = (
    "correct = (answerable questions answered with an exact match + unanswerable questions abstained) "
    "/ all questions; of several equally good thresholds, the centre of the widest run of them (the higher "
    "run and the higher centre on a tie), so a small shift in confidence does not change the outcome"
)


def calibrate(
    outcomes: Sequence[Outcome], thresholds: Sequence[float] = CALIBRATION_THRESHOLDS
) -> tuple[list[CalibrationRow], CalibrationRow]:
    """Decision metrics at each threshold, and the row that maximises :data:`CALIBRATION_CRITERION`.

    ``outcomes`` must come from an answerer that never abstains on confidence
    (threshold 0), so each question carries its best answer and that answer's
    confidence; at threshold ``t`` a question is answered when its confidence is at
    least ``t``.
    """
    rows = [
        CalibrationRow(t, decision_metrics(
            [(o, o.answer.answer is not None and o.answer.confidence >= t) for o in outcomes]
        ))
        for t in sorted(thresholds)
    ]
    return rows, rows[centre_of_widest_best([row.metrics["correct"] for row in rows])]
