"""Per-kind evaluation for sets whose questions ask for passages, not only short spans.

``eval/civic_dev.jsonl`` marks each question with the kind of answer it asks for
(``definition``, ``purpose``, ``list``, ``duty``, ``reason``, ``passage``, ``short``,
``unanswerable``) and gives its gold section (``{"doc_id", "section", "key_phrases"}``).
A passage answer is right when it holds every key phrase (whitespace-insensitive: the
phrases are verbatim from the gold clause, so an answer quoting the clause holds them
all) and cites the gold article; a short answer when it matches a gold answer exactly.

Per kind: the share answered, key-phrase recall (passage kinds: all phrases present),
exact match (short), section hit (the first citation in the gold 조), mean answer length
in characters, abstention (unanswerable) or false refusals (the others), and the expected
calibration error of the answers given (``ece``: confidence against being right, over ten
equal-width bins; :func:`reliability` gives the table behind it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from rag.answer.learn import expected_calibration_error, reliability_table
from rag.answer.models import Answer
from rag.articles import article_of
from rag.evaluation import EvalQuestion, contains_answer
from rag.jsonl import read_jsonl
from rag.scoring import best_over_truths, exact_match

SHORT, UNANSWERABLE = "short", "unanswerable"


@dataclass(frozen=True)
class PassageGold:
    """What a question asks for and where its answer is (no doc for unanswerable ones)."""

    kind: str
    doc_id: str | None = None
    section: str | None = None
    key_phrases: tuple[str, ...] = ()

    @property
    def article(self) -> tuple[str, str] | None:
        """The gold ``(doc_id, 조)``: what the first citation should point into."""
        return (self.doc_id, article_of(self.section)) if self.doc_id else None


def load_passage_gold(path: Path) -> dict[str, PassageGold] | None:
    """Each question's kind and gold section, or None when the set's rows carry no ``kind``."""
    rows = [row for _, row in read_jsonl(path)]
    if not rows or not all("kind" in row for row in rows):
        return None
    golds = {}
    for row in rows:
        gold = row.get("gold") or {}
        golds[str(row["id"])] = PassageGold(kind=row["kind"], doc_id=gold.get("doc_id"), section=gold.get("section"),
                                            key_phrases=tuple(gold.get("key_phrases") or ()))
    return golds


def _share(part: float, whole: int) -> float:
    return part / whole if whole else 0.0


def score_kinds(questions: Sequence[EvalQuestion], answers: Sequence[Answer],
                gold: Mapping[str, PassageGold]) -> dict[str, dict[str, float]]:
    """Metrics per kind (see the module docstring), plus ``all`` over every question.

    Metrics that do not apply to a kind (exact match of a definition, key phrases of a
    short fact) are left out of its row rather than reported as 0.
    """
    by_kind: dict[str, list[tuple[EvalQuestion, Answer]]] = {}
    for question, answer in zip(questions, answers):
        by_kind.setdefault(gold[question.id].kind, []).append((question, answer))
    rows = {kind: _score(pairs, gold) for kind, pairs in sorted(by_kind.items())}
    rows["all"] = _score(list(zip(questions, answers)), gold)
    return rows


def _holds_phrases(answer: Answer, gold: PassageGold) -> bool:
    return not answer.abstained and all(contains_answer(answer.answer or "", (p,)) for p in gold.key_phrases)


def _exact(question: EvalQuestion, answer: Answer) -> bool:
    return not answer.abstained and bool(best_over_truths(exact_match, answer.answer or "", question.answers))


def _cites_gold(answer: Answer, gold: PassageGold) -> bool:
    return bool(answer.citations) and \
        (answer.citations[0].doc_id, article_of(answer.citations[0].section)) == gold.article


def is_right(question: EvalQuestion, answer: Answer, gold: PassageGold) -> bool:
    """Whether a given answer is right: every key phrase and the gold 조 for a passage, a gold
    answer for a short fact; any answer to an unanswerable question is wrong."""
    if answer.abstained or gold.kind == UNANSWERABLE:
        return False
    if gold.kind == SHORT:
        return _exact(question, answer)
    return _cites_gold(answer, gold) and _holds_phrases(answer, gold)


def _given(pairs: Sequence[tuple[EvalQuestion, Answer]],
           gold: Mapping[str, PassageGold]) -> tuple[np.ndarray, np.ndarray]:
    """The confidences of the answers given among ``pairs`` and whether each is right (:func:`is_right`)."""
    given = [(a.confidence, is_right(q, a, gold[q.id])) for q, a in pairs if not a.abstained]
    return np.asarray([c for c, _ in given], dtype=float), np.asarray([r for _, r in given], dtype=float)


def reliability(questions: Sequence[EvalQuestion], answers: Sequence[Answer], gold: Mapping[str, PassageGold],
                bins: int = 10) -> list[dict[str, float]]:
    """The reliability table of the answers given: per confidence bin, how many, their mean
    confidence and the share right."""
    return reliability_table(*_given(list(zip(questions, answers)), gold), bins)


def _score(pairs: list[tuple[EvalQuestion, Answer]], gold: Mapping[str, PassageGold]) -> dict[str, float]:
    asked = [(q, a) for q, a in pairs if gold[q.id].kind != UNANSWERABLE]
    answered = [(q, a) for q, a in asked if not a.abstained]
    passages = [(q, a) for q, a in asked if gold[q.id].kind != SHORT]
    shorts = [(q, a) for q, a in asked if gold[q.id].kind == SHORT]
    refused = [(q, a) for q, a in pairs if gold[q.id].kind == UNANSWERABLE]
    row = {"questions": len(pairs), "answered": _share(sum(not a.abstained for _, a in pairs), len(pairs))}
    if passages:
        row["key_phrases"] = _share(sum(_holds_phrases(a, gold[q.id]) for q, a in passages), len(passages))
    if shorts:
        row["exact_match"] = _share(sum(_exact(q, a) for q, a in shorts), len(shorts))
    if asked:
        row["section_hit"] = _share(sum(_cites_gold(a, gold[q.id]) for q, a in answered), len(asked))
        row["false_refusals"] = _share(len(asked) - len(answered), len(asked))
        row["answer_chars"] = _share(sum(len(a.answer or "") for _, a in answered), len(answered))
    if refused:
        row["abstention_recall"] = _share(sum(a.abstained for _, a in refused), len(refused))
    confidence, right = _given(pairs, gold)
    if len(confidence):
        row["ece"] = expected_calibration_error(confidence, right)
    return row
