"""The answerer's output as the API and the CLI serve it: an answer, its citations, timings.

Pydantic models, so the HTTP layer (``api/``) and the terminal render them as they are;
they are built by :mod:`rag.answer.assemble` (and by the reader's answerer) and depend on
nothing else of the answerer but the answer types of :mod:`rag.answer.question`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from rag.answer.question import AnswerType


class Citation(BaseModel):
    """One quoted sentence or clause: ``document.text[start:end] == quote``."""

    doc_id: str = Field(description="Id of the cited document.")
    title: str = Field(description="Title of the cited document.")
    start: int = Field(ge=0, description="Offset of the quote in the document's normalised text.")
    end: int = Field(ge=0, description="End offset (exclusive) of the quote.")
    quote: str = Field(description="The cited sentence or clause, verbatim.")
    section: str | None = Field(None, description="Statute section of the quote, e.g. 제7조제2항.")
    score: float = Field(description="How strongly the sentence supports the answer (higher is better).")


class Timings(BaseModel):
    """Wall-clock time of each stage in milliseconds."""

    retrieve: float = Field(0.0, ge=0, description="Retrieval time, filled in by the caller.")
    answer: float = Field(0.0, ge=0, description="Answer extraction time.")
    total: float = Field(0.0, ge=0, description="Retrieval plus answer extraction.")


class Answer(BaseModel):
    """An extractive answer with citations, or an abstention (``answer`` is null)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "q1",
                "question": "서울디지털재단은 몇 년에 설립되었나?",
                "answer": "2016년",
                "answer_type": "date",
                "abstained": False,
                "confidence": 0.93,
                "citations": [
                    {
                        "doc_id": "seoul-ai-foundation",
                        "title": "서울디지털재단, ‘서울AI재단’으로 새출발",
                        "start": 437,
                        "end": 498,
                        "quote": "이 재단은 2016년 설립 이래 스마트시티 조성, 디지털 역량 강화, 데이터 기반 행정 혁신 등에 기여해왔다.",
                        "section": None,
                        "score": 3.1,
                    }
                ],
                "timings_ms": {"retrieve": 21.0, "answer": 4.2, "total": 25.2},
            }
        }
    )

    id: str | None = Field(None, description="The caller's question id, echoed back.")
    question: str = Field(description="The question as asked.")
    answer: str | None = Field(description="A span of the first citation's quote, or null when abstaining.")
    answer_type: AnswerType = Field(description="The answer type the question asks for.")
    abstained: bool = Field(description="True exactly when the evidence was too weak to answer.")
    confidence: float = Field(ge=0.0, le=1.0, description="Estimated probability that the answer is right.")
    citations: list[Citation] = Field(
        default_factory=list, description="Supporting sentences; the first one contains the answer."
    )
    timings_ms: Timings = Field(default_factory=Timings, description="Stage timings in milliseconds.")

    def with_retrieval_time(self, retrieve_ms: float) -> Answer:
        """A copy whose timings include the caller's retrieval time."""
        timings = Timings(retrieve=retrieve_ms, answer=self.timings_ms.answer, total=retrieve_ms + self.timings_ms.answer)
        return self.model_copy(update={"timings_ms": timings})
