"""The answerer's output as the API and the CLI serve it: an answer, its citations, timings.

Pydantic models, so the HTTP layer (``api/``) and the terminal render them as they are;
they are built by :mod:`rag.answer.assemble` (and by the reader's answerer) and depend on
nothing else of the answerer but the answer types of :mod:`rag.answer.question` and the
answer kinds of :mod:`rag.answer.kinds`.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from rag.answer.kinds import AnswerKind
from rag.answer.question import AnswerType

#: Korean examples of the answer object (real spans of the bundled seed and the AI Basic Act).
_EXAMPLES = json.loads(Path(__file__).with_name("answer_examples.json").read_text(encoding="utf-8"))


class Reference(BaseModel):
    """An article of another document, by its place: ``document.text[start:end]`` is the whole 조."""

    doc_id: str = Field(description="Id of the document.")
    title: str = Field(description="Title of the document.")
    section: str = Field(description="The article (조), e.g. 제15조.")
    start: int = Field(ge=0, description="Offset of the article in the document's normalised text.")
    end: int = Field(ge=0, description="End offset (exclusive) of the article.")


class Citation(BaseModel):
    """One quoted sentence or clause: ``document.text[start:end] == quote``."""

    doc_id: str = Field(description="Id of the cited document.")
    title: str = Field(description="Title of the cited document.")
    start: int = Field(ge=0, description="Offset of the quote in the document's normalised text.")
    end: int = Field(ge=0, description="End offset (exclusive) of the quote.")
    quote: str = Field(description="The cited sentence or clause, verbatim.")
    section: str | None = Field(None, description="Statute section of the quote, e.g. 제7조제2항.")
    score: float = Field(description="How strongly the sentence supports the answer (higher is better).")
    implemented_in: list[Reference] = Field(
        default_factory=list, description="The articles of the act's own decree or rule that cite the quoted "
        "article (법 제15조에 따라 …): where what it leaves to 대통령령 or 부령 is set out.")


class Item(BaseModel):
    """One 호 or 목 of a list answer: ``document.text[start:end] == text``."""

    start: int = Field(ge=0, description="Offset of the item in the document's normalised text.")
    end: int = Field(ge=0, description="End offset (exclusive) of the item.")
    text: str = Field(description="The item line, verbatim (with its number: 1., 가.).")


class Timings(BaseModel):
    """Wall-clock time of each stage in milliseconds."""

    retrieve: float = Field(0.0, ge=0, description="Retrieval time, filled in by the caller.")
    answer: float = Field(0.0, ge=0, description="Answer extraction time.")
    total: float = Field(0.0, ge=0, description="Retrieval plus answer extraction.")
    read: float | None = Field(
        None, ge=0, description="The neural reader's own time within answer extraction; "
        "null when no reader read: RAG_READER=rules, a question asking for a passage, or a rule answer "
        "given unread because the learned gate trusts it.",
    )


class Answer(BaseModel):
    """An extractive answer with citations, or an abstention (``answer`` is null)."""

    # One example per shape of answer: a short typed span, a definition, a list with its items.
    model_config = ConfigDict(json_schema_extra={"examples": _EXAMPLES})

    id: str | None = Field(None, description="The caller's question id, echoed back.")
    question: str = Field(description="The question as asked.")
    resolved_question: str | None = Field(
        None, description="The question as understood: a follow-up read with the topic of the conversation's "
                          "history (그럼 위원장은? → 국가인공지능전략위원회 위원장은?), else the question as asked.")
    answer: str | None = Field(description="A span of the first citation's quote, or null when abstaining.")
    answer_type: AnswerType = Field(description="The answer type the question asks for.")
    answer_kind: AnswerKind = Field(
        "short", description="The kind of answer asked: a short typed span, or a passage (definition, purpose, "
                             "list, duty, reason, passage).")
    items: list[Item] = Field(default_factory=list,
                              description="A list answer's 호/목 items, or an article answer's 항 lines, one per line.")
    truncated: bool = Field(False, description="True when a passage went on past 600 characters and was cut.")
    abstained: bool = Field(description="True exactly when the evidence was too weak to answer.")
    confidence: float = Field(ge=0.0, le=1.0, description="Estimated probability that the answer is right.")
    unindexed_statutes: list[str] = Field(
        default_factory=list, description="Statutes the question names that no indexed document is, by title "
        "(근로기준법). When these are all it names and nothing read mentions them, the answer abstains: "
        "the documents speak of other laws.")
    citations: list[Citation] = Field(
        default_factory=list, description="Supporting sentences; the first one contains the answer."
    )
    timings_ms: Timings = Field(default_factory=Timings, description="Stage timings in milliseconds.")

    def with_retrieval_time(self, retrieve_ms: float) -> Answer:
        """A copy whose timings include the caller's retrieval time."""
        timings = self.timings_ms.model_copy(update={"retrieve": retrieve_ms,
                                                     "total": retrieve_ms + self.timings_ms.answer})
        return self.model_copy(update={"timings_ms": timings})
