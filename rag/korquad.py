"""KorQuAD 1.0 as an open-domain benchmark: every paragraph becomes one document.

Retrieval is measured by :func:`rag.evaluation.evaluate_retrieval`; answers by
:func:`answer_questions`, both open-domain (our retrieval over all 964 paragraphs) and
reader-only (the gold paragraph given), with the official KorQuAD metrics and the
reason each miss missed.

The data set is CC BY-ND and is read in place from the path the user gives; nothing
from it is written into the project. Articles 0–69 form the ``dev`` split (the only
part used for tuning), articles 70–139 the ``test`` split (reported, never tuned on).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal, Mapping

import numpy as np

from rag.answer.candidates import extract_candidates
from rag.answer.models import Answer
from rag.answer.question import ANSWER_TYPES
from rag.documents import Document, normalize_text
from rag.mentions import Mentions
from rag.retrieval import SearchHit
from rag.scoring import best_over_truths, exact_match, f1
from rag.sentences import paragraph_bounds, split_sentences
from rag.tokenizer import kiwi

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

Split = Literal["dev", "test", "all"]
DEV_ARTICLES = range(0, 70)
TEST_ARTICLES = range(70, 140)


@dataclass(frozen=True)
class KorQuADQuestion:
    """A question with the paragraph (document id) that holds its answer."""

    id: str
    question: str
    answers: tuple[str, ...]
    doc_id: str
    article: int


def paragraph_id(article: int, paragraph: int) -> str:
    return f"korquad-{article:03d}-{paragraph:02d}"


def load_korquad(path: Path, split: Split = "dev") -> tuple[list[Document], list[KorQuADQuestion]]:
    """All paragraphs as documents, and the questions of ``split``.

    Every paragraph is returned whatever the split, because questions are asked
    against the whole collection (open-domain).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"KorQuAD data not found at {path}; pass --data pointing at KorQuAD_v1.0_dev.json "
            "(e.g. ../shared/data/korquad/KorQuAD_v1.0_dev.json)"
        )
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    wanted = {"dev": DEV_ARTICLES, "test": TEST_ARTICLES, "all": range(len(data))}[split]
    documents, questions = [], []
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            doc_id = paragraph_id(a, p)
            documents.append(
                Document(doc_id=doc_id, title=normalize_text(article["title"]), text=normalize_text(paragraph["context"]))
            )
            if a not in wanted:
                continue
            for qa in paragraph["qas"]:
                questions.append(
                    KorQuADQuestion(
                        id=qa["id"],
                        question=qa["question"],
                        answers=tuple(ans["text"] for ans in qa["answers"]),
                        doc_id=doc_id,
                        article=a,
                    )
                )
    return documents, questions


# -- answers -------------------------------------------------------------------------

#: Why an answer missed, in the order they are tested (see :func:`failure_kind`).
FAILURE_KINDS = ("retrieval_miss", "no_candidate", "no_answer", "boundary", "wrong_type", "wrong_span",
                 "false_abstention")
Setting = Literal["open", "reader"]


@dataclass(frozen=True)
class AnswerRecord:
    """One question answered in one setting: ``open`` (our retrieval over every
    paragraph) or ``reader`` (the gold paragraph given).

    ``answer`` and ``confidence`` are the answerer's best span with abstention off;
    ``abstained`` says whether the configured threshold refuses it, and ``em``/``f1``
    score it as served (an abstention scores 0). ``produced_type`` is the type of that
    span (see :func:`produced_type`); ``candidate_recall`` whether a gold answer was
    among the spans the evidence offered (see :class:`CandidateRecall`).
    """

    id: str
    setting: Setting
    question: str
    answers: tuple[str, ...]
    answer_type: str
    answer: str | None
    confidence: float
    abstained: bool
    em: float
    f1: float
    kind: str
    answer_ms: float = 0.0
    produced_type: str = "none"
    candidate_recall: str = "none"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _span_types(doc: Document, start: int, end: int, text: str) -> frozenset[str]:
    """Types of the candidates equal to ``text`` in the sentences of ``doc.text[start:end]``."""
    types: set[str] = set()
    for sentence in split_sentences(doc.text, *paragraph_bounds(doc.text, start, end)):
        for candidate in extract_candidates(sentence):
            if candidate.text == text:
                types |= candidate.types
    return frozenset(types & set(ANSWER_TYPES))


def _overlaps(start: int, end: int, text: str, answer: str) -> bool:
    """Whether ``[start, end)`` overlaps an occurrence of ``answer`` in ``text``."""
    at = text.find(answer)
    while at >= 0:
        if at < end and start < at + len(answer):
            return True
        at = text.find(answer, at + 1)
    return False


def _cited_types(answer: Answer, documents: Mapping[str, Document]) -> frozenset[str]:
    """Answer types of the candidates equal to the answer span in its first citation."""
    if not answer.answer or not answer.citations:
        return frozenset()
    cited = answer.citations[0]
    return _span_types(documents[cited.doc_id], cited.start, cited.end, answer.answer)


def produced_type(answer: Answer, documents: Mapping[str, Document]) -> str:
    """The answer type of the span the answerer produced, for the confusion of expected
    against produced types: ``none`` without a span, ``untyped`` when no typed candidate
    equals it (a reader's span, say), the expected type when the span has it among its
    types (a span may be both a ``number`` and a ``quantity``), else its first type in
    :data:`ANSWER_TYPES` order."""
    if not answer.answer:
        return "none"
    types = _cited_types(answer, documents)
    if answer.answer_type in types:
        return answer.answer_type
    return next((t for t in ANSWER_TYPES if t in types), "untyped")


def _particle_tail(text: str, at: int) -> bool:
    """Whether ``text[at:]`` is nothing but particles (조사) in the analysis of the whole
    ``text``: ``1987년에`` at 5. A bare tail is not analysed alone, because Kiwi reads a
    lone ``에`` or ``이`` as an interjection."""
    tail = [token for token in kiwi().tokenize(text) if token.start + token.len > at]
    return bool(tail) and tail[0].start == at and all(token.tag.startswith("J") for token in tail)


def _matches(candidate: str, gold: str) -> str | None:
    """``exact`` if the candidate is the gold answer as KorQuAD's scoring compares them
    (‘Together We Can’ for Together We Can: chosen, it would score an exact match),
    ``stripped`` if one is the other plus particles (1987년에 for 1987년), else None."""
    if candidate == gold or exact_match(candidate, gold):
        return "exact"
    if gold[:1] != candidate[:1]:
        return None
    longer, shorter = (candidate, gold) if len(candidate) > len(gold) else (gold, candidate)
    if shorter and longer.startswith(shorter) and _particle_tail(longer, len(shorter)):
        return "stripped"
    return None


class CandidateRecall:
    """Whether a gold answer is among the candidate spans of the evidence read.

    A ranker cannot choose a span nobody proposed, so this bounds what any choice among
    candidates can reach. The evidence is the whole lines of every chunk read (as the
    answerer widens them) and the spans are :func:`extract_candidates` of their
    sentences; a line's spans are computed once per run.
    """

    def __init__(self) -> None:
        self._spans: dict[tuple[str, int, int], frozenset[str]] = {}

    def _line_spans(self, doc: Document, start: int, end: int) -> frozenset[str]:
        key = (doc.doc_id, *paragraph_bounds(doc.text, start, end))
        if key not in self._spans:
            self._spans[key] = frozenset(
                c.text for sentence in split_sentences(doc.text, key[1], key[2]) for c in extract_candidates(sentence))
        return self._spans[key]

    def __call__(self, hits: list[SearchHit], documents: Mapping[str, Document], answers: tuple[str, ...]) -> str:
        """``exact``, ``stripped`` (only with particles stripped) or ``none``."""
        spans: set[str] = set()
        for hit in hits:
            chunk = hit.chunk
            spans |= self._line_spans(documents[chunk.doc_id], chunk.start, chunk.end)
        found = {_matches(span, gold) for span in spans for gold in answers}
        return "exact" if "exact" in found else "stripped" if "stripped" in found else "none"


def failure_kind(answer: Answer, question: KorQuADQuestion, documents: Mapping[str, Document],
                 retrieved: set[str], abstained: bool) -> str:
    """Why the best span (abstention off) is not an exact match, or ``correct``.

    In order: the gold paragraph was not among the chunks read (``retrieval_miss``);
    no candidate of the gold paragraph equals a gold answer (``no_candidate``: the
    span is out of the extractor's reach); no span at all (``no_answer``); the span
    overlaps a gold answer in the gold paragraph (``boundary``); it has none of the
    gold answer's types (``wrong_type``); it has one (``wrong_span``). A right span
    that the threshold refuses is a ``false_abstention``.
    """
    text, answers = answer.answer or "", question.answers
    if text and best_over_truths(exact_match, text, answers):
        return "false_abstention" if abstained else "correct"
    if question.doc_id not in retrieved:
        return "retrieval_miss"
    gold = documents[question.doc_id]
    gold_types = frozenset().union(*(_span_types(gold, 0, len(gold.text), a) for a in answers if a in gold.text))
    if not gold_types:
        return "no_candidate"
    if not text:
        return "no_answer"
    cited = answer.citations[0]
    if cited.doc_id == gold.doc_id:
        start = cited.start + cited.quote.index(text)
        if any(_overlaps(start, start + len(text), gold.text, a) for a in answers):
            return "boundary"
    return "wrong_span" if _cited_types(answer, documents) & gold_types else "wrong_type"


def answer_questions(pipeline: Pipeline, questions: list[KorQuADQuestion],
                     progress: Callable[[int], None] | None = None) -> list[AnswerRecord]:
    """Answer every question open-domain and reader-only; score and classify each answer."""
    answerer = pipeline.answerer
    threshold = answerer.config.threshold
    documents = pipeline.index.documents
    paragraphs: dict[str, list[SearchHit]] = {}
    for indexed in pipeline.index.chunks:
        chunk = indexed.chunk
        paragraphs.setdefault(chunk.doc_id, []).append(SearchHit(chunk, documents[chunk.doc_id].title, 1.0, None, None))
    recall = CandidateRecall()
    records = []
    for n, q in enumerate(questions, start=1):
        retrieval = pipeline.retrieve(q.question, answering=True)
        given = paragraphs.get(q.doc_id, [])
        for setting, hits, mentions in (("open", retrieval.hits, retrieval.mentions), ("reader", given, Mentions())):
            # Reader-only reads the whole gold paragraph; open-domain reads as served.
            answer = answerer.answer(q.question, hits, documents, hits_read=len(hits), mentions=mentions,
                                     analysis=retrieval.analysis if setting == "open" else None,
                                     threshold=0.0, whole=setting == "reader")
            abstained = answer.answer is None or answer.confidence < threshold
            served = "" if abstained else answer.answer
            records.append(AnswerRecord(
                id=q.id, setting=setting, question=q.question, answers=q.answers, answer_type=answer.answer_type,
                answer=answer.answer, confidence=answer.confidence, abstained=abstained,
                em=best_over_truths(exact_match, served, q.answers) if served else 0.0,
                f1=best_over_truths(f1, served, q.answers) if served else 0.0,
                kind=failure_kind(answer, q, documents, {h.chunk.doc_id for h in hits}, abstained),
                answer_ms=answer.timings_ms.answer,
                produced_type=produced_type(answer, documents),
                candidate_recall=recall(hits, documents, q.answers),
            ))
        if progress:
            progress(n)
    return records


def summarize_answers(records: list[AnswerRecord]) -> dict:
    """Per setting: EM/F1 as served and with abstention off, the share abstained, the
    failure kinds with counts, EM/F1 per expected answer type, candidate recall (exact,
    and counting spans equal to a gold answer once particles are stripped) and the
    confusion of expected against produced answer types (``{expected: {produced: n}}``)."""
    summary = {}
    for setting in ("open", "reader"):
        rows = [r for r in records if r.setting == setting]
        n = len(rows) or 1
        forced_em = sum(best_over_truths(exact_match, r.answer or "", r.answers) for r in rows if r.answer) / n
        forced_f1 = sum(best_over_truths(f1, r.answer or "", r.answers) for r in rows if r.answer) / n
        kinds = {kind: sum(r.kind == kind for r in rows) for kind in FAILURE_KINDS}
        times = [r.answer_ms for r in rows]
        by_type = {}
        for answer_type in sorted({r.answer_type for r in rows}):
            typed = [r for r in rows if r.answer_type == answer_type]
            by_type[answer_type] = {"questions": len(typed), "exact_match": sum(r.em for r in typed) / len(typed),
                                    "f1": sum(r.f1 for r in typed) / len(typed)}
        confusion: dict[str, dict[str, int]] = {}
        for r in rows:
            produced = confusion.setdefault(r.answer_type, {})
            produced[r.produced_type] = produced.get(r.produced_type, 0) + 1
        summary[setting] = {
            "questions": len(rows),
            "exact_match": sum(r.em for r in rows) / n, "f1": sum(r.f1 for r in rows) / n,
            "exact_match_no_abstention": forced_em, "f1_no_abstention": forced_f1,
            "abstained": sum(r.abstained for r in rows) / n,
            "failures": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
            "by_type": by_type,
            "candidate_recall": {"exact": sum(r.candidate_recall == "exact" for r in rows) / n,
                                 "stripped": sum(r.candidate_recall != "none" for r in rows) / n},
            "type_confusion": {t: dict(sorted(c.items(), key=lambda kv: -kv[1])) for t, c in sorted(confusion.items())},
            "answer_ms": {"median": round(float(np.median(times)), 2) if times else 0.0,
                          "p95": round(float(np.percentile(times, 95)), 2) if times else 0.0},
        }
    return summary
