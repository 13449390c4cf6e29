"""Request and response bodies of the HTTP API.

Every model documents its fields and carries a Korean example, so the OpenAPI page is
enough for a front-end developer. Requests are strict (no type coercion) and refuse
unknown fields: a typo in a field name is an error, not a silently ignored option.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from rag.conversation import Turn
from rag.documents import Document
from rag.inputs import validate_doc_id
from rag.render import article_dict, hit_dict
from rag.articles import ArticleHit
from rag.index import Index
from rag.retrieval import SearchHit

#: The seed question of the bundled corpus, used in every example.
SEED_QUESTION = "서울디지털재단은 몇 년에 설립되었나?"
SEED_DOC_ID = "seoul-ai-foundation"
SEED_TITLE = "서울디지털재단, ‘서울AI재단’으로 새출발"

# The characters Python's str.strip() removes. The OpenAPI pattern below says "at least
# one character outside this set", which is exactly what _not_blank accepts, so schema
# and server agree on what a blank question is.
_WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK_PATTERN = f"[^{_WHITESPACE}]"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain text, not only whitespace")
    return value


def _well_formed(value: str) -> str:
    # JSON may escape lone surrogates (\ud800); such a string cannot be encoded as UTF-8,
    # so it could never be answered or echoed back.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate (invalid Unicode)") from None
    return value


#: Any text a client sends: valid Unicode; control characters are kept as text.
Text = Annotated[str, AfterValidator(_well_formed)]
#: Text with at least one non-whitespace character.
NonBlankText = Annotated[Text, AfterValidator(_not_blank), Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN})]
#: A document id as :func:`rag.pipeline.validate_doc_id` accepts it.
DocId = Annotated[
    Text,
    AfterValidator(validate_doc_id),
    Field(description="Letters (Hangul included), digits, '-', '_' or '.', at most 200, no '..'."),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# -- questions and searches ------------------------------------------------------------


#: Earlier turns a client may send with a question: enough for a follow-up's topic.
MAX_HISTORY_TURNS = 10


class HistoryTurn(_Request):
    """One earlier turn of the conversation, as the client showed it."""

    question: NonBlankText = Field(description="The question of that turn, as asked.")
    answer: Text | None = Field(None, max_length=4000, description="The answer it got; null when it abstained.")


class AskRequest(_Request):
    """A question to answer from the indexed documents, with the conversation's earlier turns if any."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"question": SEED_QUESTION},
                {"question": "인공지능위원회의 위원장은 누구인가?", "top_k": 5, "doc_ids": ["ai-basic-act"]},
                {"question": "그럼 위원장은 누가 맡나?",
                 "history": [{"question": "국가인공지능전략위원회는 몇 명으로 구성되나?", "answer": "60명 이내"}]},
            ]
        }
    )

    question: NonBlankText = Field(
        description="The question, in Korean, the documents' language (the answerer reads Korean grammar: a "
                    "question in another language is usually answered with an abstention); at most "
                    "RAG_MAX_QUESTION_CHARS characters.",
        examples=[SEED_QUESTION],
    )
    top_k: int | None = Field(
        None, ge=1, le=20, description="Retrieved chunks the answerer reads (default RAG_ANSWER_HITS)."
    )
    doc_ids: list[Text] | None = Field(
        None, max_length=100, description="Answer only from these documents.", examples=[[SEED_DOC_ID]]
    )
    history: list[HistoryTurn] = Field(
        default_factory=list, max_length=MAX_HISTORY_TURNS,
        description="The conversation's earlier turns, oldest first (the server keeps no session). A follow-up "
                    "without its own subject (그럼 위원장은?) is read with their topic; the answer's "
                    "`resolved_question` says how it was read.",
    )

    def turns(self) -> tuple[Turn, ...]:
        """The history as the pipeline takes it."""
        return tuple(Turn(turn.question, turn.answer) for turn in self.history)


class SearchRequest(_Request):
    """A query to rank chunks for."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"query": "재단은 언제 설립되었나?", "k": 3}]})

    query: NonBlankText = Field(
        description="Question or keywords; at most RAG_MAX_QUESTION_CHARS characters.",
        examples=["재단은 언제 설립되었나?"],
    )
    k: int | None = Field(None, ge=1, le=50, description="How many chunks to return (default RAG_SEARCH_K).")


class SearchResult(BaseModel):
    """One ranked chunk: ``document.text[start:end] == text``."""

    doc_id: str = Field(description="Id of the chunk's document.")
    title: str = Field(description="Title of the chunk's document.")
    start: int = Field(ge=0, description="Offset of the chunk in the document's normalised text.")
    end: int = Field(ge=0, description="End offset (exclusive).")
    text: str = Field(description="The chunk text.")
    section: str | None = Field(None, description="Statute section, e.g. 제7조제2항.")
    score: float = Field(description="Fused (reciprocal-rank) score; higher is better.")
    dense_score: float | None = Field(description="Cosine similarity, or null if the dense retriever missed it.")
    bm25_score: float | None = Field(description="BM25 score, or null if the lexical retriever missed it.")

    @classmethod
    def from_hit(cls, hit: SearchHit) -> SearchResult:
        """The hit as ``rag search --json`` prints it: CLI and API share one shape."""
        return cls(**hit_dict(hit))


class SearchResponse(BaseModel):
    """Ranked chunks for a query, best first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": "재단은 언제 설립되었나?",
                    "results": [
                        {
                            "doc_id": SEED_DOC_ID, "title": SEED_TITLE, "start": 412, "end": 880,
                            "text": "…이 재단은 2016년 설립 이래 스마트시티 조성, 디지털 역량 강화…",
                            "section": None, "score": 0.49, "dense_score": 0.86, "bm25_score": 7.1,
                        }
                    ],
                }
            ]
        }
    )

    query: str = Field(description="The query as sent.")
    results: list[SearchResult] = Field(description="Ranked chunks, best first.")


class ArticleChunk(BaseModel):
    """One chunk of an article unit among the hits: ``document.text[start:end] == text``."""

    start: int = Field(ge=0, description="Offset of the chunk in the document's normalised text.")
    end: int = Field(ge=0, description="End offset (exclusive).")
    section: str | None = Field(None, description="Statute section, e.g. 제7조제2항.")
    text: str = Field(description="The chunk text.")


class ArticleResult(BaseModel):
    """One ranked article unit: a statute article (조), or a chunk outside any article."""

    doc_id: str = Field(description="Id of the unit's document.")
    title: str = Field(description="Title of the unit's document.")
    article: str | None = Field(description="The article, e.g. 제15조; null for a chunk outside any article.")
    article_title: str | None = Field(description="The article's heading, e.g. 개인정보의 수집·이용.")
    score: float = Field(description="The article ranker's learned score (log-odds); higher is better.")
    chunks: list[ArticleChunk] = Field(description="Its chunks among the hits, best first.")

    @classmethod
    def from_hit(cls, hit: ArticleHit, index: Index) -> ArticleResult:
        """The unit as ``rag search --unit article --json`` prints it."""
        return cls(**article_dict(hit, index))


class ArticleSearchResponse(BaseModel):
    """Ranked article units for a query, best first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": "회원가입할 때 주민등록번호를 받아도 되나요?",
                    "results": [
                        {
                            "doc_id": "personal-information-protection-act", "title": "개인정보 보호법",
                            "article": "제24조의2", "article_title": "주민등록번호 처리의 제한", "score": 2.4,
                            "chunks": [{"start": 40210, "end": 40630, "section": "제24조의2제1항",
                                        "text": "① 제24조제1항에도 불구하고 개인정보처리자는 …"}],
                        }
                    ],
                }
            ]
        }
    )

    query: str = Field(description="The query as sent.")
    results: list[ArticleResult] = Field(description="Ranked article units, best first.")


# -- documents --------------------------------------------------------------------------


class SectionOut(BaseModel):
    """A statute section: ``text[start:end]`` is the 조 or 항."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    label: str = Field(description="The finest unit, e.g. 제7조제2항.", examples=["제7조제2항"])
    article: str = Field(description="The 조, e.g. 제7조.", examples=["제7조"])
    title: str | None = Field(None, description="The 조 title, e.g. 국가인공지능위원회.")


class DocumentSummary(BaseModel):
    """A document's metadata, without its text."""

    doc_id: str = Field(description="Document id.", examples=[SEED_DOC_ID])
    title: str = Field(description="Title.", examples=[SEED_TITLE])
    kind: str = Field(description="'statute' when split on 조/항, else 'text'.", examples=["text"])
    date: str | None = Field(None, description="Publication or enactment date, as the source gives it.")
    source: str | None = Field(None, description="Where the document came from (URL or file name).")
    publisher: str | None = Field(None, description="Publisher, if known.")
    chars: int = Field(ge=0, description="Length of the normalised text in characters.")
    chunks: int = Field(ge=0, description="Chunks indexed for this document.")

    @classmethod
    def of(cls, document: Document, chunks: int) -> DocumentSummary:
        return cls(
            doc_id=document.doc_id, title=document.title, kind=document.kind, date=document.date,
            source=document.source, publisher=document.publisher, chars=len(document.text), chunks=chunks,
        )


class DocumentDetail(DocumentSummary):
    """A document with the normalised text that every offset (chunks, citations) refers to."""

    text: str = Field(description="The normalised text: citation offsets index into this string.")
    sections: list[SectionOut] = Field(description="Statute sections (조, 항); empty for other documents.")
    metadata: dict[str, Any] = Field(description="Anything else the loader found, e.g. front matter.")

    @classmethod
    def of(cls, document: Document, chunks: int) -> DocumentDetail:
        summary = DocumentSummary.of(document, chunks)
        return cls(
            **summary.model_dump(), text=document.text,
            sections=[SectionOut(**section.__dict__) for section in document.sections],
            metadata=document.metadata,
        )


class DocumentPage(BaseModel):
    """One page of the document list, ordered by id."""

    total: int = Field(ge=0, description="Documents in the index.")
    offset: int = Field(ge=0, description="Index of the first document on this page.")
    limit: int = Field(ge=1, description="Page size asked for.")
    documents: list[DocumentSummary] = Field(description="The documents on this page.")


class DocumentIn(_Request):
    """A document sent as JSON. Its text is normalised (NFC, newlines) before indexing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "seoul-ai-news-2025-10",
                    "title": "서울시, 시민 AI 교육 확대",
                    "text": "서울시는 2025년 10월부터 시민 대상 AI 교육을 25개 자치구로 확대한다고 밝혔다.",
                    "source": "https://news.seoul.go.kr/",
                    "published": "2025-10-01",
                }
            ]
        }
    )

    id: DocId | None = Field(None, description="Document id; by default a slug of the title.")
    title: NonBlankText = Field(max_length=500, description="Title.", examples=["서울시, 시민 AI 교육 확대"])
    text: NonBlankText = Field(description="Full text; at most RAG_MAX_UPLOAD_BYTES bytes as UTF-8.")
    source: Text | None = Field(None, max_length=2000, description="Where the document came from.")
    # Lax on purpose: JSON has no date type, so the ISO string must be converted.
    published: dt.date | None = Field(None, strict=False, description="Publication date (YYYY-MM-DD).")


class DocumentWritten(BaseModel):
    """The outcome of adding a document."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"doc_id": "seoul-ai-news-2025-10", "chunks": 1, "status": "added"}]}
    )

    doc_id: str = Field(description="Id of the document, as indexed.")
    chunks: int = Field(ge=0, description="Chunks the index now holds for it.")
    status: Literal["added", "updated", "unchanged"] = Field(
        description="'unchanged' when the same title and text were already indexed (nothing re-embedded)."
    )


# -- operations -------------------------------------------------------------------------


class Health(BaseModel):
    """The process is alive."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """The model and index are loaded and requests are served."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ready", "documents": 5, "chunks": 298, "model": "bundled:multilingual-e5-small"}
            ]
        }
    )

    status: Literal["ready"] = "ready"
    documents: int = Field(ge=0, description="Documents in the served index.")
    chunks: int = Field(ge=0, description="Chunks in the served index.")
    model: str = Field(description="Embedding model id.")

