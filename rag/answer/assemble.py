"""Assembly: the :class:`~rag.answer.models.Answer` and its citations, as exact spans.

Every citation quotes a whole evidence sentence, ``document.text[start:end]``; the first
is the answer's own sentence, which contains the answer; an answer is ``None`` exactly
when the answerer abstains, and an abstention cites nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from rag.answer.candidates import Candidate
from rag.answer.evidence import Sentence
from rag.answer.features import Features
from rag.answer.matching import Matching
from rag.answer.models import Answer, Citation, Item, Reference, Timings
from rag.answer.passages import Passage
from rag.answer.question import AnswerType, QuestionAnalysis
from rag.answer.ranker import Decision
from rag.articles import article_of
from rag.documents import Document
from rag.references import ReferenceGraph


@dataclass(frozen=True)
class Ranked:
    """The best candidate: its score, its features and the sentence it is in."""

    score: float
    features: Features
    candidate: Candidate
    sentence: Sentence


def citation(sentence: Sentence, score: float) -> Citation:
    """``sentence`` quoted exactly, with its statute section, as a citation scored ``score``."""
    assert sentence.doc.text[sentence.span.start:sentence.span.end] == sentence.span.text, \
        "a citation must quote the document text exactly"
    return _quote(sentence, sentence.span.start, sentence.span.end, score)


def _quote(sentence: Sentence, start: int, end: int, score: float) -> Citation:
    doc = sentence.doc
    section = doc.section_at(start)
    return Citation(doc_id=doc.doc_id, title=doc.title, start=start, end=end, quote=doc.text[start:end],
                    section=section.label if section else None, score=round(score, 4))


def passage_citations(passage: Passage, probability: float, sentences: list[Sentence], matching: Matching,
                      max_citations: int) -> list[Citation]:
    """The passage itself (the answer is all of its quote), then the sentences outside it
    sharing most of the question's words; ``max_citations`` in all."""
    doc_id = passage.sentence.doc.doc_id
    others = [s for s in sentences
              if not (s.doc.doc_id == doc_id and passage.start <= s.span.start < passage.end)
              and matching.overlap(s) > 0]
    others.sort(key=lambda s: -matching.overlap(s))
    return [_quote(passage.sentence, passage.start, passage.end, probability)] + [
        citation(s, matching.overlap(s)) for s in others[: max_citations - 1]]


def citations(best: Ranked, sentences: list[Sentence], rivals: dict[int, float], matching: Matching,
              max_citations: int, rival_citations: int) -> list[Citation]:
    """The answer's own sentence, then the ``rival_citations`` sentences whose best
    candidates came next (``rivals``: best score by ``id(sentence)``; the evidence the
    answer won against, for a reader to judge), then those sharing most of the
    question's words; ``max_citations`` in all."""
    cited_first = [citation(best.sentence, best.score)]
    others = [s for s in sentences if s is not best.sentence]
    runners_up = sorted((s for s in others if id(s) in rivals), key=lambda s: -rivals[id(s)])[:rival_citations]
    cited = {id(s) for s in runners_up}
    support = runners_up + sorted(
        (s for s in others if id(s) not in cited and matching.overlap(s) > 0), key=lambda s: -matching.overlap(s))
    return cited_first + [citation(s, matching.overlap(s)) for s in support[: max_citations - 1]]


def assemble(question: str, question_id: str | None, answer_type: AnswerType, best: Ranked | None,
             decision: Decision, cited: list[Citation], elapsed_ms: float) -> Answer:
    """The answer: ``best``'s span, cited by ``cited``, when ``decision`` answers; else an abstention."""
    answered = decision.answered and best is not None
    result = Answer(
        id=question_id,
        question=question,
        answer=best.candidate.text if answered else None,
        answer_type=answer_type,
        abstained=not answered,
        confidence=round(decision.confidence, 4),
        citations=cited,
        timings_ms=Timings(answer=round(elapsed_ms, 3), total=round(elapsed_ms, 3)),
    )
    assert result.answer is None or result.answer in result.citations[0].quote
    return result


def unindexed_abstention(analysis: QuestionAnalysis, question_id: str | None, statutes: list[str]) -> Answer:
    """The abstention for a question about ``statutes`` the index does not hold (:mod:`rag.mentions`):
    what it would be answered from is about other laws, however well its words match."""
    return Answer(id=question_id, question=analysis.text, answer=None, answer_type=analysis.answer_type,
                  answer_kind=analysis.answer_kind, abstained=True, confidence=0.0, unindexed_statutes=statutes)


def assemble_passage(analysis: QuestionAnalysis, question_id: str | None, passage: Passage | None,
                     probability: float, cited: list[Citation], elapsed_ms: float) -> Answer:
    """``passage`` as the answer (its text, items and truncation) cited by ``cited``, or an
    abstention when it is ``None``."""
    result = Answer(
        id=question_id,
        question=analysis.text,
        answer=None if passage is None else passage.text,
        answer_type=analysis.answer_type,
        answer_kind=analysis.answer_kind,
        items=[] if passage is None else [Item(start=i.start, end=i.end, text=i.text) for i in passage.items],
        truncated=passage is not None and passage.truncated,
        abstained=passage is None,
        confidence=round(probability, 4),
        citations=cited,
        timings_ms=Timings(answer=round(elapsed_ms, 3), total=round(elapsed_ms, 3)),
    )
    assert result.answer is None or result.answer in result.citations[0].quote
    return result


def with_implementations(answer: Answer, references: ReferenceGraph, documents: Mapping[str, Document],
                         most: int = 3) -> Answer:
    """``answer`` with each statute citation's :attr:`~rag.answer.models.Citation.implemented_in`:
    the first ``most`` articles of the act's decree or rule that cite the quoted 조, so that a
    reader of "대통령령으로 정하는 기관" is pointed to where the decree names them."""
    cited = []
    for c in answer.citations:
        unit = (c.doc_id, article_of(c.section))
        # A generation swapped in since retrieval may lack a document: only what ``documents`` hold.
        found = [(d, a) for d, a in references.implemented_by.get(unit, ()) if d in documents and a in documents[d].articles]
        cited.append(c.model_copy(update={"implemented_in": [
            Reference(doc_id=doc_id, title=documents[doc_id].title, section=article,
                      start=documents[doc_id].articles[article][0], end=documents[doc_id].articles[article][1])
            for doc_id, article in found[:most]]}) if found else c)
    return answer.model_copy(update={"citations": cited}) if cited != answer.citations else answer
